"""Reading and writing the album tables (schema owned by ``storage``).

``albums``: one row per album; ``name`` is the user's and wins over ``auto_name``; ``hidden``;
``model_key`` of the features the centroid lives in; ``centroid`` (float16 blob);
``cover_photo_ids`` (JSON, most central first); ``size``.
``album_members``: (album, photo, strength in [0, 1], source). Sources: ``cluster`` (placed by
HDBSCAN), ``incremental`` (joined the nearest album after indexing), ``merge`` (moved in by the
user merging albums; a manual placement that re-clustering keeps).
``album_exclusions``: photos the user took out of an album; they never come back to it.

"Unsorted" is not a row: it is every photo with album features that is in no album (taught
albums aside: they are a view over the library, not part of the clustering's partition).
Album ids are never reused, so an id in a script or a GUI selection cannot come to mean
another album (``albums.next_id`` setting).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from photo_organizer.albums.clustering import COVER_COUNT, normalise_rows, summarise_members
from photo_organizer.errors import LibraryError
from photo_organizer.storage import OK, Library, decode_vectors, encode_vector

SOURCE_CLUSTER = "cluster"
SOURCE_INCREMENTAL = "incremental"
SOURCE_MERGE = "merge"
MANUAL_SOURCES = (SOURCE_MERGE,)

# Taught albums (taught/store.py) are kept apart from the clustering's partition.
_AUTO_ALBUMS_ONLY = "JOIN albums a ON a.id = m.album_id AND a.kind != 'taught'"
NEXT_ID_SETTING = "albums.next_id"
STATE_SETTING = "albums.state"  # what the last full clustering saw (see recluster.py)


@dataclass(frozen=True)
class Album:
    id: int
    name: str | None
    auto_name: str | None
    hidden: bool
    model_key: str | None
    centroid: np.ndarray | None
    cover_photo_ids: list[int]
    size: int
    created_at: float | None
    updated_at: float | None
    kind: str = "auto"  # auto (clustering), taught (taught/store.py) or manual

    @property
    def display_name(self) -> str:
        return self.name or self.auto_name or f"Album {self.id}"

    @classmethod
    def from_row(cls, row: dict) -> "Album":
        centroid = decode_vectors([row["centroid"]])[0] if row.get("centroid") else None
        return cls(
            id=int(row["id"]),
            name=row["name"],
            auto_name=row["auto_name"],
            hidden=bool(row["hidden"]),
            model_key=row["model_key"],
            centroid=centroid,
            cover_photo_ids=json.loads(row["cover_photo_ids"] or "[]"),
            size=int(row["size"] or 0),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            kind=row.get("kind") or "auto",
        )

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.display_name,
            "user_name": self.name,
            "auto_name": self.auto_name,
            "hidden": self.hidden,
            "size": self.size,
            "cover_photo_ids": self.cover_photo_ids,
            "model_key": self.model_key,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Member:
    photo_id: int
    strength: float
    source: str


@dataclass
class AlbumContent:
    """Everything an album row and its member rows are written from."""

    photo_ids: Sequence[int]
    strengths: Sequence[float]
    sources: Sequence[str]
    centroid: np.ndarray | None
    cover_photo_ids: list[int]
    model_key: str | None


def list_albums(library: Library, include_hidden: bool = False) -> list[Album]:
    where = "" if include_hidden else "WHERE hidden = 0"
    rows = library.query(f"SELECT * FROM albums {where} ORDER BY size DESC, id")
    return [Album.from_row(r) for r in rows]


def get_album(library: Library, album_id: int) -> Album:
    rows = library.query("SELECT * FROM albums WHERE id = ?", [album_id])
    if not rows:
        raise LibraryError(f"There is no album with id {album_id}. See `photo-organizer albums --all`.")
    return Album.from_row(rows[0])


def members(library: Library, album_id: int) -> list[Member]:
    rows = library.query(
        "SELECT m.photo_id, m.strength, m.source FROM album_members m JOIN photos p ON p.id = m.photo_id "
        "WHERE m.album_id = ? AND p.state = ? ORDER BY m.rowid",
        [album_id, OK],
    )
    return [Member(int(r["photo_id"]), float(r["strength"] or 0.0), r["source"]) for r in rows]


def member_sets(library: Library) -> dict[int, set[int]]:
    sets: dict[int, set[int]] = {int(r["id"]): set() for r in library.query("SELECT id FROM albums")}
    for row in library.query("SELECT album_id, photo_id FROM album_members"):
        sets.setdefault(int(row["album_id"]), set()).add(int(row["photo_id"]))
    return sets


def manual_members(library: Library) -> dict[int, set[int]]:
    """album id -> photos the user placed there by hand."""
    marks = ",".join("?" * len(MANUAL_SOURCES))
    found: dict[int, set[int]] = {}
    for row in library.query(
        f"SELECT album_id, photo_id FROM album_members WHERE source IN ({marks})", list(MANUAL_SOURCES)
    ):
        found.setdefault(int(row["album_id"]), set()).add(int(row["photo_id"]))
    return found


def exclusions(library: Library) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for row in library.query("SELECT album_id, photo_id FROM album_exclusions"):
        found.setdefault(int(row["album_id"]), set()).add(int(row["photo_id"]))
    return found


def album_of_photos(library: Library) -> set[int]:
    """Ids of photos that are in at least one album."""
    rows = library.query(f"SELECT DISTINCT m.photo_id FROM album_members m {_AUTO_ALBUMS_ONLY}")
    return {int(r["photo_id"]) for r in rows}


def unsorted_photo_ids(library: Library, model_key: str) -> list[int]:
    """Live photos with album features that are in no album."""
    rows = library.query(
        "SELECT e.photo_id FROM embeddings e JOIN photos p ON p.id = e.photo_id "
        "WHERE e.model_key = ? AND p.state = ? AND NOT EXISTS "
        f"(SELECT 1 FROM album_members m {_AUTO_ALBUMS_ONLY} WHERE m.photo_id = e.photo_id) ORDER BY e.photo_id",
        [model_key, OK],
    )
    return [int(r["photo_id"]) for r in rows]


def allocate_album_id(library: Library) -> int:
    """A fresh id, never one an album had before. Caller holds the transaction."""
    stored = library.get_setting(NEXT_ID_SETTING, 1)
    highest = library.query("SELECT COALESCE(MAX(id), 0) AS m FROM albums")[0]["m"]
    new_id = max(int(stored), int(highest) + 1)
    library.db["settings"].upsert({"key": NEXT_ID_SETTING, "value": json.dumps(new_id + 1)}, pk="key")
    return new_id


def write_album(library: Library, album_id: int | None, content: AlbumContent) -> int:
    """Create (``album_id`` None) or replace an album's geometry and members; keeps its
    user name, hidden flag and exclusions. Caller holds the transaction. Returns the id."""
    now = time.time()
    row = {
        "model_key": content.model_key,
        "centroid": encode_vector(content.centroid) if content.centroid is not None else None,
        "cover_photo_ids": json.dumps([int(i) for i in content.cover_photo_ids]),
        "size": len(content.photo_ids),
        "updated_at": now,
    }
    if album_id is None:
        album_id = allocate_album_id(library)
        library.db["albums"].insert(
            {"id": album_id, "name": None, "auto_name": None, "hidden": 0, "created_at": now, **row}
        )
    else:
        library.db["albums"].update(album_id, row)
        library.db.execute("DELETE FROM album_members WHERE album_id = ?", [album_id])
    library.db["album_members"].insert_all(
        (
            {"album_id": album_id, "photo_id": int(pid), "strength": float(strength), "source": source}
            for pid, strength, source in zip(content.photo_ids, content.strengths, content.sources)
        ),
        batch_size=2000,
    )
    return album_id


def delete_albums(library: Library, album_ids: Iterable[int]) -> None:
    """Caller holds the transaction."""
    for album_id in album_ids:
        for table, column in (("album_members", "album_id"), ("album_exclusions", "album_id"), ("albums", "id")):
            library.db.execute(f"DELETE FROM {table} WHERE {column} = ?", [album_id])


def set_auto_names(library: Library, names: dict[int, str | None]) -> None:
    with library.transaction():
        for album_id, name in names.items():
            library.db.execute("UPDATE albums SET auto_name = ? WHERE id = ?", [name, album_id])


def album_features(library: Library, model_key: str, photo_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, unit features) of those photos that have features under ``model_key``."""
    ids, vectors = library.embeddings(model_key, photo_ids)
    if len(ids) == 0:
        return ids, vectors
    return ids, normalise_rows(vectors)


def content_from_entries(
    entries: Iterable[tuple[int, float, str]],
    model_key: str | None,
    row_of: Mapping[int, int],
    unit_features: np.ndarray,
    fallback_centroid: np.ndarray | None = None,
) -> AlbumContent:
    """Album content from (photo, strength, source) entries: deduplicated (a manual placement
    wins), ordered by closeness to the centroid (covers first); photos without features
    (``row_of`` maps a photo id to its row of ``unit_features``) follow in their given order."""
    chosen: dict[int, tuple[float, str]] = {}
    for pid, strength, source in entries:
        if pid not in chosen or source in MANUAL_SOURCES:
            chosen[int(pid)] = (float(strength), source)
    with_features = [pid for pid in chosen if pid in row_of]
    without = [pid for pid in chosen if pid not in row_of]
    ordered, centroid, covers = without, fallback_centroid, without[:COVER_COUNT]
    if with_features:
        summary = summarise_members(
            np.array(with_features, dtype=np.int64),
            unit_features[[row_of[pid] for pid in with_features]],
            np.array([chosen[pid][0] for pid in with_features]),
        )
        ordered = summary.photo_ids.tolist() + without
        centroid, covers = summary.centroid, summary.cover_photo_ids
    return AlbumContent(
        photo_ids=ordered,
        strengths=[chosen[pid][0] for pid in ordered],
        sources=[chosen[pid][1] for pid in ordered],
        centroid=centroid,
        cover_photo_ids=covers,
        model_key=model_key,
    )
