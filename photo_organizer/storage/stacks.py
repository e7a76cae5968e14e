"""Stacks (bursts and RAW + JPEG pairs), shot qualities and the trash undo list; their meaning
is described in ``photo_organizer.stacks.store``, which turns these rows into objects.

Tables (no foreign keys to ``photos``, so that forgetting a photo never fails on them: rows
of photos that are gone are skipped when read): ``stacks``, ``stack_members`` (a photo in one
stack at most), ``stack_seen`` (photos the stacking job has considered, with which features),
``shot_quality`` and ``trash_log``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from photo_organizer.storage.database import OK, REMOVED, Database, iter_chunks, marks, path_from_db, path_to_db

NewStack = tuple[str, list[int], int | None, bool, str]  # kind, photo ids, best, picked by user, why

_PENDING_SQL = (
    "FROM photos p WHERE p.state = ? "
    "AND NOT EXISTS (SELECT 1 FROM stack_seen s WHERE s.photo_id = p.id AND s.feature_key = ?) "
    "AND (? = '' OR EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_key = ?))"
)


class StacksStore(Database):
    # ---- stacks ------------------------------------------------------------------------------

    def stack_member_rows(self, stack_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """id, kind, best_photo_id, picked_by_user, why, photo_id per live (not removed) member,
        by stack id then photo id."""
        where, params = "", []
        if stack_ids is not None:
            where, params = f"AND s.id IN ({marks(stack_ids)})", list(stack_ids)
        return self.query(
            "SELECT s.id, s.kind, s.best_photo_id, s.picked_by_user, s.why, m.photo_id FROM stacks s "
            "JOIN stack_members m ON m.stack_id = s.id JOIN photos p ON p.id = m.photo_id "
            f"WHERE p.state != ? {where} ORDER BY s.id, m.photo_id",
            [REMOVED, *params],
        )

    def stacks_of_photos(self, photo_ids: Iterable[int]) -> dict[int, int]:
        """photo id -> stack id, for those photos that are in a stack."""
        found: dict[int, int] = {}
        for chunk in iter_chunks(sorted(set(photo_ids))):
            sql = f"SELECT photo_id, stack_id FROM stack_members WHERE photo_id IN ({marks(chunk)})"
            found.update({int(r["photo_id"]): int(r["stack_id"]) for r in self.query(sql, chunk)})
        return found

    def stack_membership(self) -> dict[int, int]:
        """photo id -> stack id for every stacked photo (a small table: read it whole rather
        than look up a whole library's ids)."""
        return {int(r["photo_id"]): int(r["stack_id"]) for r in self.query("SELECT photo_id, stack_id FROM stack_members")}

    def stack_best_shots(self) -> dict[int, int | None]:
        """stack id -> its best shot (the cover)."""
        return {int(r["id"]): r["best_photo_id"] for r in self.query("SELECT id, best_photo_id FROM stacks")}

    def stack_user_picks(self, stack_ids: Iterable[int]) -> dict[int, int]:
        """stack id -> the best shot the user picked, for those stacks where the user did."""
        picks: dict[int, int] = {}
        for chunk in iter_chunks(sorted(set(stack_ids))):
            sql = f"SELECT id, best_photo_id FROM stacks WHERE picked_by_user = 1 AND id IN ({marks(chunk)})"
            picks.update({int(r["id"]): int(r["best_photo_id"]) for r in self.query(sql, chunk)})
        return picks

    def replace_stacks(self, old_stack_ids: Iterable[int], new_stacks: Sequence[NewStack]) -> list[int]:
        """Delete the old stacks and write the new ones. Returns the new ids."""
        new_ids = []
        now = time.time()
        with self.transaction():
            for chunk in iter_chunks(sorted(set(old_stack_ids))):
                self.execute(f"DELETE FROM stack_members WHERE stack_id IN ({marks(chunk)})", list(chunk))
                self.execute(f"DELETE FROM stacks WHERE id IN ({marks(chunk)})", list(chunk))
            for kind, photo_ids, best, picked, why in new_stacks:
                row = {"kind": kind, "best_photo_id": best, "picked_by_user": int(picked), "why": why, "created_at": now}
                stack_id = int(self.db["stacks"].insert(row).last_pk)
                self.execute(f"DELETE FROM stack_members WHERE photo_id IN ({marks(photo_ids)})", photo_ids)
                self.db["stack_members"].insert_all({"stack_id": stack_id, "photo_id": pid} for pid in photo_ids)
                new_ids.append(stack_id)
        return new_ids

    def set_stack_best(self, stack_id: int, photo_id: int, why: str) -> None:
        """The user's pick: kept while the photo stays in the stack."""
        with self.transaction():
            self.execute(
                "UPDATE stacks SET best_photo_id = ?, picked_by_user = 1, why = ? WHERE id = ?", [photo_id, why, stack_id]
            )

    # ---- what the stacking job considers ---------------------------------------------------

    def photos_to_stack(self, feature_key: str | None) -> list[int]:
        """Live photos not considered with ``feature_key`` yet that have its features (with no
        key: every live photo not considered without features)."""
        key = feature_key or ""
        return [int(r["id"]) for r in self.query(f"SELECT p.id {_PENDING_SQL} ORDER BY p.id", [OK, key, key, key])]

    def count_photos_to_stack(self, feature_key: str | None) -> int:
        key = feature_key or ""
        return int(self.query(f"SELECT COUNT(*) AS n {_PENDING_SQL}", [OK, key, key, key])[0]["n"])

    def mark_stacking_seen(self, photo_ids: Iterable[int], feature_key: str | None) -> None:
        """Another feature key later makes them pending again."""
        rows = ({"photo_id": int(pid), "feature_key": feature_key or ""} for pid in photo_ids)
        with self.transaction():
            self.db["stack_seen"].insert_all(rows, replace=True)

    def shot_rows(self, photo_ids: Iterable[int]) -> list[dict[str, Any]]:
        """id, path, taken_at, mtime, camera, state of those photos that are not removed (a RAW
        without rawpy is unreadable but still half of a RAW + JPEG pair)."""
        rows: list[dict[str, Any]] = []
        for chunk in iter_chunks(sorted(set(photo_ids))):
            rows += self.query(
                f"SELECT id, path, taken_at, mtime, camera, state FROM photos WHERE id IN ({marks(chunk)}) AND state != ?",
                [*chunk, REMOVED],
            )
        for row in rows:
            row["path"] = path_from_db(row["path"])
        return rows

    def burst_neighbour_ids(self, camera: str | None, start: str, end: str) -> list[int]:
        """Live photos of ``camera`` taken between the ISO times ``start`` and ``end`` (inclusive)."""
        rows = self.query(
            "SELECT id FROM photos WHERE state = ? AND camera IS ? AND taken_at >= ? AND taken_at <= ?",
            [OK, camera, start, end],
        )
        return [int(r["id"]) for r in rows]

    def same_name_photo_ids(self, folder: str, stem: str) -> list[int]:
        """Photos (not removed) in ``folder`` whose file name is ``stem`` plus an extension
        (same case: a range over the path index; "/" is the character after ".")."""
        folder = folder.rstrip("/")
        prefix = path_to_db(folder + "/" + stem)
        rows = self.query(
            "SELECT id, path FROM photos WHERE path >= ? AND path < ? AND state != ?", [prefix + ".", prefix + "/", REMOVED]
        )
        return [int(r["id"]) for r in rows if "/" not in path_from_db(r["path"])[len(folder) + 1 :]]

    # ---- shot quality ----------------------------------------------------------------------

    def shot_quality_rows(self, photo_ids: Iterable[int]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for chunk in iter_chunks(sorted(set(photo_ids))):
            rows += self.query(f"SELECT * FROM shot_quality WHERE photo_id IN ({marks(chunk)})", chunk)
        return rows

    def put_shot_qualities(self, rows: Iterable[dict[str, Any]]) -> None:
        """Rows of photo_id, sharpness, highlights, shadows."""
        with self.transaction():
            self.db["shot_quality"].upsert_all(rows, pk="photo_id")

    # ---- trash undo list -------------------------------------------------------------------

    def next_trash_batch(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(batch), 0) + 1 AS b FROM trash_log")[0]["b"])

    def log_trashed(self, batch: int, photo_id: int, original: str, trash_path: str | None, info_path: str | None) -> int:
        """Record one trashed file and take its photo out of the library's views (state removed)."""
        with self.transaction():
            rows = self.query("SELECT state FROM photos WHERE id = ?", [photo_id])
            entry = {
                "batch": batch,
                "photo_id": photo_id,
                "original_path": path_to_db(original),
                "trash_path": path_to_db(trash_path) if trash_path else None,
                "info_path": path_to_db(info_path) if info_path else None,
                "previous_state": rows[0]["state"] if rows else OK,
                "trashed_at": time.time(),
                "restored_at": None,
            }
            entry_id = int(self.db["trash_log"].insert(entry).last_pk)
            self.execute("UPDATE photos SET state = ? WHERE id = ?", [REMOVED, photo_id])
        return entry_id

    def trash_log_rows(self, batch: int | None = None, include_restored: bool = False) -> list[dict[str, Any]]:
        """Rows with their paths decoded, oldest first."""
        clauses, params = [], []
        if batch is not None:
            clauses.append("batch = ?")
            params.append(batch)
        if not include_restored:
            clauses.append("restored_at IS NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.query(f"SELECT * FROM trash_log {where} ORDER BY id", params)
        for row in rows:
            for column in ("original_path", "trash_path", "info_path"):
                row[column] = path_from_db(row[column]) if row[column] else None
        return rows

    def last_trash_batch(self) -> int | None:
        rows = self.query("SELECT MAX(batch) AS b FROM trash_log WHERE restored_at IS NULL")
        return int(rows[0]["b"]) if rows and rows[0]["b"] is not None else None

    def log_restored(self, entry_id: int, photo_id: int) -> None:
        """The file is back in its place: the photo is as it was (same bytes, same time)."""
        with self.transaction():
            rows = self.query("SELECT previous_state FROM trash_log WHERE id = ?", [entry_id])
            state = (rows[0]["previous_state"] if rows else None) or OK
            self.execute("UPDATE trash_log SET restored_at = ? WHERE id = ?", [time.time(), entry_id])
            self.execute("UPDATE photos SET state = ? WHERE id = ? AND state = ?", [state, photo_id, REMOVED])
