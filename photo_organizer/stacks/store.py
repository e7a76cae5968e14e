"""Stacks, shot qualities and the trash undo list as objects (the SQL is in
``photo_organizer.storage.stacks``; the schema in ``storage.schema``).

Tables:

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from photo_organizer.errors import LibraryError
from photo_organizer.stacks.quality import ShotQuality
from photo_organizer.storage import Library


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


def list_stacks(library: Library, stack_ids: Sequence[int] | None = None) -> list[Stack]:
    """Stacks with their live members (photos trashed or gone are left out), by id; a stack
    left with one member is no stack."""
    stacks: dict[int, dict] = {}
    for row in library.stack_member_rows(stack_ids):
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


def qualities(library: Library, photo_ids: Iterable[int]) -> dict[int, ShotQuality]:
    return {
        int(row["photo_id"]): ShotQuality(row["sharpness"], row["highlights"], row["shadows"])
        for row in library.shot_quality_rows(photo_ids)
    }


def put_qualities(library: Library, measured: dict[int, ShotQuality]) -> None:
    library.put_shot_qualities(
        {"photo_id": pid, "sharpness": q.sharpness, "highlights": q.highlights, "shadows": q.shadows}
        for pid, q in measured.items()
    )


def trash_entries(library: Library, batch: int | None = None, include_restored: bool = False) -> list[TrashEntry]:
    return [
        TrashEntry(
            id=int(r["id"]),
            batch=int(r["batch"]),
            photo_id=int(r["photo_id"]),
            original_path=r["original_path"],
            trash_path=r["trash_path"],
            info_path=r["info_path"],
            trashed_at=float(r["trashed_at"]),
            restored_at=r["restored_at"],
        )
        for r in library.trash_log_rows(batch, include_restored)
    ]
