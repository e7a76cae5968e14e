"""Reading and writing taught albums (all the SQL of taught albums).

Schema (``migrate_taught_albums``):

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
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from photo_organizer.albums.store import allocate_album_id
from photo_organizer.errors import LibraryError
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.storage import OK, Library, path_from_db

KIND_AUTO, KIND_TAUGHT, KIND_MANUAL = "auto", "taught", "manual"
SOURCE_TAUGHT, SOURCE_NEW, SOURCE_CONFIRMED, SOURCE_EXAMPLE = "taught", "new", "confirmed", "example"
COVERS = 4


def migrate_taught_albums(db: sqlite_utils.Database) -> None:
    db.execute(f"ALTER TABLE albums ADD COLUMN kind TEXT NOT NULL DEFAULT '{KIND_AUTO}'")
    db["taught_albums"].create(
        {
            "album_id": int,
            "session_id": int,
            "query_text": str,
            "query_photo_id": int,
            "query_image_path": str,
            "query_vectors": bytes,
            "dim": int,
            "options": str,
            "model_key": str,
            "seen_rowid": int,
            "created_at": float,
        },
        pk="album_id",
    )
    db["taught_examples"].create(
        {"album_id": int, "photo_id": int, "label": int, "added_at": float}, pk=("album_id", "photo_id")
    )


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


def taught_album_ids(library: Library) -> list[int]:
    return [int(r["id"]) for r in library.query("SELECT id FROM albums WHERE kind = ? ORDER BY id", [KIND_TAUGHT])]


def is_taught(library: Library, album_id: int) -> bool:
    return bool(library.query("SELECT 1 FROM albums WHERE id = ? AND kind = ?", [album_id, KIND_TAUGHT]))


def load(library: Library, album_id: int) -> TaughtAlbum:
    rows = library.query(
        "SELECT t.*, a.name FROM taught_albums t JOIN albums a ON a.id = t.album_id WHERE t.album_id = ?", [album_id]
    )
    if not rows:
        raise LibraryError(f"Album {album_id} is not a taught album. See `photo-organizer albums`.")
    row = rows[0]
    parts = np.frombuffer(row["query_vectors"], dtype=np.float32).reshape(-1, int(row["dim"]))
    examples = {
        int(r["photo_id"]): int(r["label"])
        for r in library.query("SELECT photo_id, label FROM taught_examples WHERE album_id = ?", [album_id])
    }
    return TaughtAlbum(
        album_id=album_id,
        name=row["name"],
        session_id=row["session_id"],
        query={"text": row["query_text"], "photo_id": row["query_photo_id"], "image_path": row["query_image_path"]},
        parts=parts,
        options=FeedbackOptions.from_dict(json.loads(row["options"])),
        model_key=row["model_key"],
        seen_rowid=int(row["seen_rowid"] or 0),
        examples=examples,
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
    now = time.time()
    parts = np.ascontiguousarray(parts, dtype=np.float32)
    with library.transaction():
        album_id = allocate_album_id(library)
        library.db["albums"].insert(
            {"id": album_id, "name": name, "auto_name": None, "hidden": 0, "model_key": model_key, "centroid": None,
             "cover_photo_ids": "[]", "size": 0, "created_at": now, "updated_at": now, "kind": KIND_TAUGHT}
        )
        library.db["taught_albums"].insert(
            {
                "album_id": album_id,
                "session_id": session_id,
                "query_text": query.get("text"),
                "query_photo_id": query.get("photo_id"),
                "query_image_path": query.get("image_path"),
                "query_vectors": parts.tobytes(),
                "dim": int(parts.shape[1]),
                "options": json.dumps(options.to_dict()),
                "model_key": model_key,
                "seen_rowid": 0,
                "created_at": now,
            }
        )
        _put_examples(library, album_id, examples, now)
    return album_id


def set_examples(library: Library, album_id: int, examples: dict[int, int]) -> None:
    """Add or change examples (+1 / -1)."""
    with library.transaction():
        _put_examples(library, album_id, examples, time.time())


def _put_examples(library: Library, album_id: int, examples: dict[int, int], now: float) -> None:
    library.db["taught_examples"].upsert_all(
        ({"album_id": album_id, "photo_id": int(pid), "label": int(label), "added_at": now} for pid, label in examples.items()),
        pk=("album_id", "photo_id"),
    )


def member_sources(library: Library, album_id: int) -> dict[int, str]:
    """Live members: photo id -> source, in the order they joined."""
    rows = library.query(
        "SELECT m.photo_id, m.source FROM album_members m JOIN photos p ON p.id = m.photo_id "
        "WHERE m.album_id = ? AND p.state = ? ORDER BY m.rowid",
        [album_id, OK],
    )
    return {int(r["photo_id"]): r["source"] for r in rows}


def write_members(library: Library, album_id: int, sources: dict[int, str], seen_rowid: int | None = None) -> None:
    """Replace the album's members (photo id -> source); covers are the first liked examples,
    then the confirmed and taught members."""
    order = {SOURCE_EXAMPLE: 0, SOURCE_CONFIRMED: 1, SOURCE_TAUGHT: 2, SOURCE_NEW: 3}
    covers = sorted(sources, key=lambda pid: (order.get(sources[pid], 4), pid))[:COVERS]
    with library.transaction():
        library.db.execute("DELETE FROM album_members WHERE album_id = ?", [album_id])
        library.db["album_members"].insert_all(
            {"album_id": album_id, "photo_id": pid, "strength": 1.0, "source": source} for pid, source in sources.items()
        )
        library.db.execute(
            "UPDATE albums SET size = ?, cover_photo_ids = ?, updated_at = ? WHERE id = ?",
            [len(sources), json.dumps(covers), time.time(), album_id],
        )
        if seen_rowid is not None:
            library.db.execute("UPDATE taught_albums SET seen_rowid = ? WHERE album_id = ?", [seen_rowid, album_id])


def embedding_rowids(library: Library, model_key: str) -> tuple[np.ndarray, np.ndarray]:
    """(photo ids, embeddings rowids) of the live photos' features under ``model_key``."""
    rows = library.query(
        "SELECT e.photo_id, e.rowid AS r FROM embeddings e JOIN photos p ON p.id = e.photo_id "
        "WHERE e.model_key = ? AND p.state = ? ORDER BY e.photo_id",
        [model_key, OK],
    )
    return np.array([r["photo_id"] for r in rows], dtype=np.int64), np.array([r["r"] for r in rows], dtype=np.int64)


def count_pending(library: Library) -> int:
    """Live photos' features newer than what each taught album has judged, summed."""
    return int(
        library.query(
            "SELECT COUNT(*) AS n FROM taught_albums t JOIN embeddings e ON e.model_key = t.model_key "
            "AND e.rowid > t.seen_rowid JOIN photos p ON p.id = e.photo_id WHERE p.state = ?",
            [OK],
        )[0]["n"]
    )


def photo_paths(library: Library, photo_ids: Iterable[int]) -> dict[int, str]:
    return {p.id: path_from_db(p.path) for p in library.photos(list(photo_ids))}
