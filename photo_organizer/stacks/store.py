"""Reading and writing stacks, shot qualities and the trash undo list (all the SQL of stacks).

Tables (created by ``migrate_stacks``; no foreign keys to ``photos`` so that forgetting a
photo never fails on them: rows of photos that are gone are skipped when read):

* ``stacks``: id, kind (``burst`` or ``raw+jpeg``), best_photo_id (the cover), picked_by_user
  (1 when the user chose the best shot: kept while the stack's members stay), why, created_at;
* ``stack_members``: (stack_id, photo_id), a photo in one stack at most;
* ``stack_seen``: photos the stacking job has considered, and with which features ("" for
  none); a change of features makes every photo pending again;
* ``shot_quality``: photo_id, sharpness, highlights, shadows (see quality.py);
* ``trash_log``: id, batch, photo_id, original_path, trash_path and info_path (where the
  system trash put it, when known), previous_state, trashed_at, restored_at.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from photo_organizer.errors import LibraryError
from photo_organizer.stacks.quality import ShotQuality
from photo_organizer.storage import OK, REMOVED, SQL_VARIABLES_PER_QUERY, Library, iter_chunks, path_from_db, path_to_db


def migrate_stacks(db: sqlite_utils.Database) -> None:
    db["stacks"].create(
        {"id": int, "kind": str, "best_photo_id": int, "picked_by_user": int, "why": str, "created_at": float},
        pk="id",
    )
    db["stack_members"].create({"stack_id": int, "photo_id": int}, pk="photo_id")
    db["stack_members"].create_index(["stack_id"])
    db["stack_seen"].create({"photo_id": int, "feature_key": str}, pk="photo_id")
    db["shot_quality"].create(
        {"photo_id": int, "sharpness": float, "highlights": float, "shadows": float}, pk="photo_id"
    )
    db["trash_log"].create(
        {
            "id": int,
            "batch": int,
            "photo_id": int,
            "original_path": str,
            "trash_path": str,
            "info_path": str,
            "previous_state": str,
            "trashed_at": float,
            "restored_at": float,
        },
        pk="id",
    )
    db["trash_log"].create_index(["batch"])
    db["photos"].create_index(["camera", "taken_at"])  # a burst's neighbours in time


@dataclass(frozen=True)
class Stack:
    id: int
    kind: str
    photo_ids: list[int]
    best_photo_id: int | None
    picked_by_user: bool
    why: str | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "photo_ids": self.photo_ids,
            "best_id": self.best_photo_id,
            "picked_by_user": self.picked_by_user,
            "why": self.why,
        }


@dataclass(frozen=True)
class TrashEntry:
    id: int
    batch: int
    photo_id: int
    original_path: str
    trash_path: str | None
    info_path: str | None
    trashed_at: float
    restored_at: float | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "batch": self.batch,
            "photo_id": self.photo_id,
            "original_path": self.original_path,
            "trash_path": self.trash_path,
            "trashed_at": self.trashed_at,
            "restored_at": self.restored_at,
        }


# ---- stacks ---------------------------------------------------------------------------------


def list_stacks(library: Library, stack_ids: Sequence[int] | None = None) -> list[Stack]:
    """Stacks with their live members (photos trashed or gone are left out), by id."""
    where, params = "", []
    if stack_ids is not None:
        where = f"AND s.id IN ({','.join('?' * len(stack_ids))})"
        params = list(stack_ids)
    rows = library.query(
        "SELECT s.id, s.kind, s.best_photo_id, s.picked_by_user, s.why, m.photo_id FROM stacks s "
        "JOIN stack_members m ON m.stack_id = s.id JOIN photos p ON p.id = m.photo_id "
        f"WHERE p.state != ? {where} ORDER BY s.id, m.photo_id",
        [REMOVED, *params],
    )
    stacks: dict[int, dict] = {}
    for row in rows:
        entry = stacks.setdefault(row["id"], {**row, "photo_ids": []})
        entry["photo_ids"].append(int(row["photo_id"]))
    return [
        Stack(
            id=int(s["id"]),
            kind=s["kind"],
            photo_ids=s["photo_ids"],
            best_photo_id=s["best_photo_id"],
            picked_by_user=bool(s["picked_by_user"]),
            why=s["why"],
        )
        for s in stacks.values()
        if len(s["photo_ids"]) > 1
    ]


def get_stack(library: Library, stack_id: int) -> Stack:
    found = list_stacks(library, [stack_id])
    if not found:
        raise LibraryError(f"There is no stack with id {stack_id}. See `photo-organizer stacks`.")
    return found[0]


def stacks_of_photos(library: Library, photo_ids: Iterable[int]) -> dict[int, int]:
    """photo id -> stack id, for those photos that are in a stack."""
    found: dict[int, int] = {}
    for chunk in iter_chunks(sorted(set(photo_ids)), SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        for row in library.query(f"SELECT photo_id, stack_id FROM stack_members WHERE photo_id IN ({marks})", chunk):
            found[int(row["photo_id"])] = int(row["stack_id"])
    return found


def user_picks(library: Library, stack_ids: Iterable[int]) -> dict[int, int]:
    """stack id -> the best shot the user picked, for those stacks where the user did."""
    ids = sorted(set(stack_ids))
    picks: dict[int, int] = {}
    for chunk in iter_chunks(ids, SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        for row in library.query(
            f"SELECT id, best_photo_id FROM stacks WHERE picked_by_user = 1 AND id IN ({marks})", chunk
        ):
            picks[int(row["id"])] = int(row["best_photo_id"])
    return picks


def replace_stacks(
    library: Library, old_stack_ids: Iterable[int], new_stacks: Sequence[tuple[str, list[int], int | None, bool, str]]
) -> list[int]:
    """Delete the old stacks and write the new ones ((kind, photo ids, best, picked by user, why)).
    Caller holds the transaction. Returns the new ids."""
    for chunk in iter_chunks(sorted(set(old_stack_ids)), SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        library.db.execute(f"DELETE FROM stack_members WHERE stack_id IN ({marks})", list(chunk))
        library.db.execute(f"DELETE FROM stacks WHERE id IN ({marks})", list(chunk))
    new_ids = []
    now = time.time()
    for kind, photo_ids, best, picked, why in new_stacks:
        stack_id = int(
            library.db["stacks"]
            .insert({"kind": kind, "best_photo_id": best, "picked_by_user": int(picked), "why": why, "created_at": now})
            .last_pk
        )
        library.db.execute(
            f"DELETE FROM stack_members WHERE photo_id IN ({','.join('?' * len(photo_ids))})", photo_ids
        )
        library.db["stack_members"].insert_all({"stack_id": stack_id, "photo_id": pid} for pid in photo_ids)
        new_ids.append(stack_id)
    return new_ids


def set_best(library: Library, stack_id: int, photo_id: int, why: str) -> None:
    with library.transaction():
        library.db.execute(
            "UPDATE stacks SET best_photo_id = ?, picked_by_user = 1, why = ? WHERE id = ?", [photo_id, why, stack_id]
        )


# ---- what the job considers -------------------------------------------------------------------


_PENDING_SQL = (
    "FROM photos p WHERE p.state = ? "
    "AND NOT EXISTS (SELECT 1 FROM stack_seen s WHERE s.photo_id = p.id AND s.feature_key = ?) "
    "AND (? = '' OR EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_key = ?))"
)


def pending_photo_ids(library: Library, feature_key: str | None) -> list[int]:
    """Live photos not considered with ``feature_key`` yet that have its features (with no
    key, for RAW + JPEG pairs only: every live photo not considered without features)."""
    key = feature_key or ""
    rows = library.query(f"SELECT p.id {_PENDING_SQL} ORDER BY p.id", [OK, key, key, key])
    return [int(r["id"]) for r in rows]


def count_pending(library: Library, feature_key: str | None) -> int:
    key = feature_key or ""
    return int(library.query(f"SELECT COUNT(*) AS n {_PENDING_SQL}", [OK, key, key, key])[0]["n"])


def mark_seen(library: Library, photo_ids: Iterable[int], feature_key: str | None) -> None:
    """Caller holds the transaction. Another feature key later makes them pending again."""
    library.db["stack_seen"].insert_all(
        ({"photo_id": int(pid), "feature_key": feature_key or ""} for pid in photo_ids), replace=True
    )


def shot_rows(library: Library, photo_ids: Iterable[int]) -> list[dict]:
    """id, path, taken_at, mtime, camera of those photos that are live or unreadable (a RAW
    without rawpy is unreadable but still half of a RAW + JPEG pair)."""
    rows = []
    for chunk in iter_chunks(sorted(set(photo_ids)), SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        rows += library.query(
            f"SELECT id, path, taken_at, mtime, camera, state FROM photos WHERE id IN ({marks}) AND state != ?",
            [*chunk, REMOVED],
        )
    for row in rows:
        row["path"] = path_from_db(row["path"])
    return rows


def neighbour_ids(library: Library, camera: str | None, start: str, end: str) -> list[int]:
    """Live photos of ``camera`` taken between the ISO times ``start`` and ``end`` (inclusive)."""
    rows = library.query(
        "SELECT id FROM photos WHERE state = ? AND camera IS ? AND taken_at >= ? AND taken_at <= ?",
        [OK, camera, start, end],
    )
    return [int(r["id"]) for r in rows]


def same_name_ids(library: Library, folder: str, stem: str) -> list[int]:
    """Photos (not removed) in ``folder`` whose file name is ``stem`` plus an extension
    (same case: a range over the path index; "/" is the character after ".")."""
    prefix = path_to_db(folder.rstrip("/") + "/" + stem)
    rows = library.query(
        "SELECT id, path FROM photos WHERE path >= ? AND path < ? AND state != ?", [prefix + ".", prefix + "/", REMOVED]
    )
    return [int(r["id"]) for r in rows if "/" not in path_from_db(r["path"])[len(folder.rstrip("/")) + 1 :]]


# ---- shot quality ---------------------------------------------------------------------------


def qualities(library: Library, photo_ids: Iterable[int]) -> dict[int, ShotQuality]:
    found: dict[int, ShotQuality] = {}
    for chunk in iter_chunks(sorted(set(photo_ids)), SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        for row in library.query(f"SELECT * FROM shot_quality WHERE photo_id IN ({marks})", chunk):
            found[int(row["photo_id"])] = ShotQuality(row["sharpness"], row["highlights"], row["shadows"])
    return found


def put_qualities(library: Library, measured: dict[int, ShotQuality]) -> None:
    """Caller holds the transaction."""
    library.db["shot_quality"].upsert_all(
        (
            {"photo_id": pid, "sharpness": q.sharpness, "highlights": q.highlights, "shadows": q.shadows}
            for pid, q in measured.items()
        ),
        pk="photo_id",
    )


# ---- trash undo list ------------------------------------------------------------------------


def next_trash_batch(library: Library) -> int:
    return int(library.query("SELECT COALESCE(MAX(batch), 0) + 1 AS b FROM trash_log")[0]["b"])


def log_trashed(
    library: Library, batch: int, photo_id: int, original: str, trash_path: str | None, info_path: str | None
) -> int:
    """Record one trashed file and take its photo out of the library's views (state removed)."""
    rows = library.query("SELECT state FROM photos WHERE id = ?", [photo_id])
    previous_state = rows[0]["state"] if rows else OK
    with library.transaction():
        entry_id = int(
            library.db["trash_log"]
            .insert(
                {
                    "batch": batch,
                    "photo_id": photo_id,
                    "original_path": path_to_db(original),
                    "trash_path": path_to_db(trash_path) if trash_path else None,
                    "info_path": path_to_db(info_path) if info_path else None,
                    "previous_state": previous_state,
                    "trashed_at": time.time(),
                    "restored_at": None,
                }
            )
            .last_pk
        )
        library.db.execute("UPDATE photos SET state = ? WHERE id = ?", [REMOVED, photo_id])
    return entry_id


def trash_entries(library: Library, batch: int | None = None, include_restored: bool = False) -> list[TrashEntry]:
    clauses, params = [], []
    if batch is not None:
        clauses.append("batch = ?")
        params.append(batch)
    if not include_restored:
        clauses.append("restored_at IS NULL")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = library.query(f"SELECT * FROM trash_log {where} ORDER BY id", params)
    return [
        TrashEntry(
            id=int(r["id"]),
            batch=int(r["batch"]),
            photo_id=int(r["photo_id"]),
            original_path=path_from_db(r["original_path"]),
            trash_path=path_from_db(r["trash_path"]) if r["trash_path"] else None,
            info_path=path_from_db(r["info_path"]) if r["info_path"] else None,
            trashed_at=float(r["trashed_at"]),
            restored_at=r["restored_at"],
        )
        for r in rows
    ]


def last_trash_batch(library: Library) -> int | None:
    rows = library.query("SELECT MAX(batch) AS b FROM trash_log WHERE restored_at IS NULL")
    return int(rows[0]["b"]) if rows and rows[0]["b"] is not None else None


def log_restored(library: Library, entry: TrashEntry) -> None:
    """The file is back in its place: the photo is as it was (same bytes, same time)."""
    rows = library.query("SELECT previous_state FROM trash_log WHERE id = ?", [entry.id])
    state = (rows[0]["previous_state"] if rows else None) or OK
    with library.transaction():
        library.db.execute("UPDATE trash_log SET restored_at = ? WHERE id = ?", [time.time(), entry.id])
        library.db.execute("UPDATE photos SET state = ? WHERE id = ? AND state = ?", [state, entry.photo_id, REMOVED])
