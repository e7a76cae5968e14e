"""Reading and writing the album tables (schema owned by ``storage``).

``albums``: one row per album; ``name`` is the user's and wins over ``auto_name``; ``hidden``;
``model_key`` of the features the centroid lives in; ``centroid`` (float16 blob);
``cover_photo_ids`` (JSON, most central first); ``size``.
``album_members``: (album, photo, strength in [0, 1], source). Sources: ``cluster`` (placed by
HDBSCAN), ``incremental`` (joined the nearest album after indexing), ``merge`` (moved in by the
user merging albums) and ``manual`` (put there by hand: "Add to album", a drag onto the album);
both are manual placements that re-clustering keeps.
``album_exclusions``: photos the user took out of an album; they never come back to it.

"Unsorted" is not a row: it is every photo with album features that is in no album (taught
albums aside: they are a view over the library, not part of the clustering's partition).
Album ids are never reused, so an id in a script or a GUI selection cannot come to mean
another album (``albums.next_id`` setting).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from photo_organizer.albums.clustering import COVER_COUNT, normalise_rows, summarise_members
from photo_organizer.errors import LibraryError
from photo_organizer.storage import Library, decode_vectors

SOURCE_CLUSTER = "cluster"
SOURCE_INCREMENTAL = "incremental"
SOURCE_MERGE = "merge"
SOURCE_MANUAL = "manual"
MANUAL_SOURCES = (SOURCE_MERGE, SOURCE_MANUAL)

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
    size: int  # members, those of removed or missing folders included
    created_at: float | None
    updated_at: float | None
    kind: str = "auto"  # auto (clustering), taught (taught/store.py) or manual
    live_size: int = 0  # members that are live photos: what the album shows

    @property
    def away(self) -> bool:
        """Every photo of the album is in a removed folder: not shown until they come back."""
        return self.size > 0 and self.live_size == 0

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
            live_size=int(row.get("live_size") or 0),
        )

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.display_name,
            "user_name": self.name,
            "auto_name": self.auto_name,
            "hidden": self.hidden,
            "size": self.size,
            "live_size": self.live_size,
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


def list_albums(library: Library, include_hidden: bool = False, include_away: bool = True) -> list[Album]:
    """Largest first; ``include_away`` False leaves out the albums whose photos are all in
    removed folders (they come back with their folder)."""
    albums = [Album.from_row(r) for r in library.album_rows(include_hidden)]
    return albums if include_away else [a for a in albums if not a.away]


def get_album(library: Library, album_id: int) -> Album:
    row = library.album_row(album_id)
    if row is None:
        raise LibraryError(f"There is no album with id {album_id}. See `photo-organizer albums --all`.")
    return Album.from_row(row)


def members(library: Library, album_id: int) -> list[Member]:
    rows = library.album_member_rows(album_id)
    return [Member(int(r["photo_id"]), float(r["strength"] or 0.0), r["source"]) for r in rows]


def manual_members(library: Library) -> dict[int, set[int]]:
    """album id -> photos the user placed there by hand."""
    return library.album_members_from(MANUAL_SOURCES)


def write_album(library: Library, album_id: int | None, content: AlbumContent) -> int:
    """Create (``album_id`` None) or replace an album's geometry and members; keeps its
    user name, hidden flag and exclusions. Joins the caller's transaction. Returns the id."""
    entries = list(zip(content.photo_ids, content.strengths, content.sources))
    return library.write_album(album_id, content.model_key, content.centroid, content.cover_photo_ids, entries)


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
