"""Taught albums as objects (the SQL is in ``photo_organizer.storage.taught_albums``).

Schema (``storage.schema``):

* ``albums.kind``: ``auto`` (made by clustering), ``taught`` (kept from a search), ``manual``.
  Re-clustering and the incremental assignment only ever consider ``auto`` albums; a taught
  album's members are not taken out of Unsorted.
* ``taught_albums``: album_id, session_id it was created from, query_text, query_photo_id,
  query_image_path, query_vectors (float32 blob, ``parts`` rows of ``dim``), options (JSON
  ``FeedbackOptions``), model_key (the CLIP features it predicts on), seen_rowid (the largest
  embeddings rowid the album has judged: newer embeddings are pending), created_at.
* ``taught_examples``: (album_id, photo_id, label +1 / -1, added_at).
* Members are ``album_members`` rows with source ``taught`` (predicted when taught or
  re-taught), ``new`` (joined at index time, unconfirmed), ``confirmed`` (the user said yes)
  or ``example`` (a liked example).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from photo_organizer.errors import LibraryError
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.storage import Library

SOURCE_TAUGHT, SOURCE_NEW, SOURCE_CONFIRMED, SOURCE_EXAMPLE = "taught", "new", "confirmed", "example"
COVERS = 4


@dataclass(frozen=True)
class TaughtAlbum:
    album_id: int
    name: str
    session_id: int | None
    query: dict  # text, photo_id, image_path
    parts: np.ndarray  # (k, d) unit query vectors
    options: FeedbackOptions
    model_key: str
    seen_rowid: int
    examples: dict[int, int]  # photo id -> +1 / -1

    def as_json(self) -> dict:
        return {
            "session_id": self.session_id,
            "query": self.query,
            "options": self.options.to_dict(),
            "model_key": self.model_key,
            "liked": sorted(pid for pid, label in self.examples.items() if label > 0),
            "disliked": sorted(pid for pid, label in self.examples.items() if label < 0),
        }


def load(library: Library, album_id: int) -> TaughtAlbum:
    row = library.taught_album_row(album_id)
    if row is None:
        raise LibraryError(f"Album {album_id} is not a taught album. See `photo-organizer albums`.")
    return TaughtAlbum(
        album_id=album_id,
        name=row["name"],
        session_id=row["session_id"],
        query={"text": row["query_text"], "photo_id": row["query_photo_id"], "image_path": row["query_image_path"]},
        parts=np.frombuffer(row["query_vectors"], dtype=np.float32).reshape(-1, int(row["dim"])),
        options=FeedbackOptions.from_dict(json.loads(row["options"])),
        model_key=row["model_key"],
        seen_rowid=int(row["seen_rowid"] or 0),
        examples=library.taught_examples(album_id),
    )


def create(
    library: Library,
    name: str,
    session_id: int | None,
    query: dict,
    parts: np.ndarray,
    options: FeedbackOptions,
    model_key: str,
    examples: dict[int, int],
) -> int:
    """A new, empty taught album; members are written by ``write_members``."""
    parts = np.ascontiguousarray(parts, dtype=np.float32)
    row = {
        "session_id": session_id,
        "query_text": query.get("text"),
        "query_photo_id": query.get("photo_id"),
        "query_image_path": query.get("image_path"),
        "query_vectors": parts.tobytes(),
        "dim": int(parts.shape[1]),
        "options": json.dumps(options.to_dict()),
        "model_key": model_key,
    }
    return library.create_taught_album(name, row, examples)


def member_sources(library: Library, album_id: int) -> dict[int, str]:
    """Live members: photo id -> source, in the order they joined."""
    return {int(r["photo_id"]): r["source"] for r in library.album_member_rows(album_id)}


def write_members(library: Library, album_id: int, sources: dict[int, str], seen_rowid: int | None = None) -> None:
    """Replace the album's members (photo id -> source); covers are the first liked examples,
    then the confirmed and taught members."""
    order = {SOURCE_EXAMPLE: 0, SOURCE_CONFIRMED: 1, SOURCE_TAUGHT: 2, SOURCE_NEW: 3}
    covers = sorted(sources, key=lambda pid: (order.get(sources[pid], 4), pid))[:COVERS]
    library.write_taught_members(album_id, sources, covers, seen_rowid)
