"""The album tables (``albums``, ``album_members``, ``album_exclusions``); their meaning is
described in ``photo_organizer.albums.store``, which turns these rows into ``Album`` objects.

Album ids are never reused (the ``albums.next_id`` setting), so an id in a script or a GUI
selection cannot come to mean another album.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from photo_organizer.storage.database import OK, SQL_VARIABLES_PER_QUERY, Database, iter_chunks, marks
from photo_organizer.storage.embeddings import encode_vector

NEXT_ID_SETTING = "albums.next_id"
KIND_AUTO, KIND_TAUGHT = "auto", "taught"
# Taught albums (storage/taught_albums.py) are a view over the library, kept apart from the
# clustering's partition: their members are still Unsorted and re-clustering never sees them.
_AUTO_ALBUMS_ONLY = f"JOIN albums a ON a.id = m.album_id AND a.kind != '{KIND_TAUGHT}'"

MemberEntry = tuple[int, float, str]  # (photo id, strength, source)

_LIVE_SIZE = (
    "(SELECT COUNT(*) FROM album_members m JOIN photos p ON p.id = m.photo_id "
    f"WHERE m.album_id = a.id AND p.state = '{OK}')"
)


def _grouped(rows: Iterable[dict[str, Any]]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(int(row["album_id"]), set()).add(int(row["photo_id"]))
    return found


class AlbumsStore(Database):
    # ---- reading ---------------------------------------------------------------------------

    def album_rows(self, include_hidden: bool = False) -> list[dict[str, Any]]:
        """Largest first, each with ``live_size``: its members that are live photos (those of a
        removed or missing folder are kept, to come back, but not counted)."""
        where = "" if include_hidden else "WHERE a.hidden = 0"
        return self.query(f"SELECT a.*, {_LIVE_SIZE} AS live_size FROM albums a {where} ORDER BY size DESC, id")

    def album_row(self, album_id: int) -> dict[str, Any] | None:
        rows = self.query(f"SELECT a.*, {_LIVE_SIZE} AS live_size FROM albums a WHERE a.id = ?", [album_id])
        return rows[0] if rows else None

    def album_member_rows(self, album_id: int) -> list[dict[str, Any]]:
        """photo_id, strength, source of the album's live members, in the order written."""
        return self.query(
            "SELECT m.photo_id, m.strength, m.source FROM album_members m JOIN photos p ON p.id = m.photo_id "
            "WHERE m.album_id = ? AND p.state = ? ORDER BY m.rowid",
            [album_id, OK],
        )

    def album_member_sets(self) -> dict[int, set[int]]:
        """album id -> member photo ids, for every album (empty ones included)."""
        sets: dict[int, set[int]] = {int(r["id"]): set() for r in self.query("SELECT id FROM albums")}
        for album_id, photo_ids in _grouped(self.query("SELECT album_id, photo_id FROM album_members")).items():
            sets.setdefault(album_id, set()).update(photo_ids)
        return sets

    def album_member_entries(self) -> dict[int, list[MemberEntry]]:
        """album id -> (photo, strength, source) of every member, live or not, in written order."""
        found: dict[int, list[MemberEntry]] = {}
        for r in self.query("SELECT album_id, photo_id, strength, source FROM album_members ORDER BY rowid"):
            found.setdefault(int(r["album_id"]), []).append((int(r["photo_id"]), float(r["strength"] or 0.0), r["source"]))
        return found

    def album_members_from(self, sources: Sequence[str]) -> dict[int, set[int]]:
        """album id -> photos placed there by one of ``sources``."""
        sql = f"SELECT album_id, photo_id FROM album_members WHERE source IN ({marks(sources)})"
        return _grouped(self.query(sql, list(sources)))

    def album_exclusions(self) -> dict[int, set[int]]:
        return _grouped(self.query("SELECT album_id, photo_id FROM album_exclusions"))

    def photos_in_albums(self) -> set[int]:
        """Photos in an automatic album."""
        rows = self.query(f"SELECT DISTINCT m.photo_id FROM album_members m {_AUTO_ALBUMS_ONLY}")
        return {int(r["photo_id"]) for r in rows}

    def photos_in_no_album(self, model_key: str) -> list[int]:
        """Live photos with ``model_key`` features that are in no automatic album."""
        rows = self.query(
            "SELECT e.photo_id FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model_key = ? AND p.state = ? AND NOT EXISTS "
            f"(SELECT 1 FROM album_members m {_AUTO_ALBUMS_ONLY} WHERE m.photo_id = e.photo_id) ORDER BY e.photo_id",
            [model_key, OK],
        )
        return [int(r["photo_id"]) for r in rows]

    # ---- writing (each method is one transaction, or joins the caller's) ---------------------

    def write_album(
        self,
        album_id: int | None,
        model_key: str | None,
        centroid: np.ndarray | None,
        cover_photo_ids: Sequence[int],
        entries: Sequence[MemberEntry],
    ) -> int:
        """Create (``album_id`` None) or replace an album's geometry and members; keeps its user
        name, hidden flag and exclusions. Returns the id."""
        now = time.time()
        row = {
            "model_key": model_key,
            "centroid": encode_vector(centroid) if centroid is not None else None,
            "cover_photo_ids": json.dumps([int(i) for i in cover_photo_ids]),
            "size": len(entries),
            "updated_at": now,
        }
        with self.transaction():
            if album_id is None:
                album_id = self.allocate_album_id()
                self.db["albums"].insert(
                    {"id": album_id, "name": None, "auto_name": None, "hidden": 0, "created_at": now, **row}
                )
            else:
                self.db["albums"].update(album_id, row)
                self.execute("DELETE FROM album_members WHERE album_id = ?", [album_id])
            self.db["album_members"].insert_all(
                (
                    {"album_id": album_id, "photo_id": int(pid), "strength": float(strength), "source": source}
                    for pid, strength, source in entries
                ),
                batch_size=2000,
            )
        return album_id

    def allocate_album_id(self) -> int:
        """A fresh id, never one an album had before."""
        stored = self.get_setting(NEXT_ID_SETTING, 1)  # type: ignore[attr-defined]
        highest = self.query("SELECT COALESCE(MAX(id), 0) AS m FROM albums")[0]["m"]
        new_id = max(int(stored), int(highest) + 1)
        self.set_setting(NEXT_ID_SETTING, new_id + 1)  # type: ignore[attr-defined]
        return new_id

    def delete_albums(self, album_ids: Iterable[int]) -> None:
        with self.transaction():
            for album_id in album_ids:
                for table, column in (("album_members", "album_id"), ("album_exclusions", "album_id"), ("albums", "id")):
                    self.execute(f"DELETE FROM {table} WHERE {column} = ?", [album_id])

    def set_album_name(self, album_id: int, name: str | None) -> None:
        """The user's name (None: back to the automatic name)."""
        with self.transaction():
            self.execute("UPDATE albums SET name = ?, updated_at = ? WHERE id = ?", [name, time.time(), album_id])

    def set_album_hidden(self, album_id: int, hidden: bool) -> None:
        with self.transaction():
            self.execute("UPDATE albums SET hidden = ?, updated_at = ? WHERE id = ?", [int(hidden), time.time(), album_id])

    def set_album_auto_names(self, names: dict[int, str | None]) -> None:
        with self.transaction():
            for album_id, name in names.items():
                self.execute("UPDATE albums SET auto_name = ? WHERE id = ?", [name, album_id])

    def exclude_from_album(self, album_id: int, photo_ids: Iterable[int]) -> None:
        """Re-clustering never puts these photos back into this album."""
        with self.transaction():
            self.db["album_exclusions"].insert_all(
                ({"album_id": album_id, "photo_id": int(pid)} for pid in sorted(photo_ids)), replace=True
            )

    def allow_in_album(self, album_id: int, photo_ids: Iterable[int]) -> None:
        """The user put these photos back by hand: they are no longer excluded from the album."""
        with self.transaction():
            for chunk in iter_chunks([int(pid) for pid in photo_ids], SQL_VARIABLES_PER_QUERY - 1):
                sql = f"DELETE FROM album_exclusions WHERE album_id = ? AND photo_id IN ({marks(chunk)})"
                self.execute(sql, [album_id, *chunk])

    def add_album_members(self, placements: Sequence[tuple[int, MemberEntry]]) -> None:
        """(album id, (photo, strength, source)) placements added to albums, sizes kept right."""
        added: dict[int, int] = {}
        with self.transaction():
            for album_id, (photo_id, strength, source) in placements:
                self.db["album_members"].insert(
                    {"album_id": album_id, "photo_id": int(photo_id), "strength": float(strength), "source": source},
                    replace=True,
                )
                added[album_id] = added.get(album_id, 0) + 1
            for album_id, count in added.items():
                self.execute("UPDATE albums SET size = size + ? WHERE id = ?", [count, album_id])
