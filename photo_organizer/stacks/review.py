"""What a review keeps and what it would move to the trash: a stack's best shot, or one photo
of a duplicate group. Planning never touches a file; ``trash.trash_photos`` does, after the
user confirmed.

Keeping a shot keeps all its files: the RAW twin of the kept JPEG (same folder and base name)
stays too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from photo_organizer.albums.duplicates import find_duplicates
from photo_organizer.errors import LibraryError
from photo_organizer.stacks import store
from photo_organizer.storage import Library


@dataclass(frozen=True)
class ReviewPlan:
    what: str  # "stack 12" or "duplicates of photo 40"
    keep: list[tuple[int, str]]  # (photo id, path)
    trash: list[tuple[int, str]]

    def as_json(self) -> dict:
        return {
            "what": self.what,
            "keep": [{"id": pid, "path": path} for pid, path in self.keep],
            "trash": [{"id": pid, "path": path} for pid, path in self.trash],
        }


def plan_keep_best(library: Library, stack_id: int) -> ReviewPlan:
    stack = store.get_stack(library, stack_id)
    if stack.best_photo_id is None:
        raise LibraryError(f"Stack {stack_id} has no best shot; pick one with `photo-organizer stacks pick`.")
    return plan_keep(library, f"stack {stack_id}", stack.photo_ids, stack.best_photo_id)


def plan_keep_duplicate(library: Library, photo_id: int, feature_key: str | None, threshold: float) -> ReviewPlan:
    """Keep ``photo_id`` and trash the other photos of its duplicate group (exact first)."""
    report = find_duplicates(library, feature_key, threshold)
    for group in report.exact + report.near:
        if photo_id in group.photo_ids:
            return plan_keep(library, f"{group.kind} duplicates of photo {photo_id}", group.photo_ids, photo_id)
    raise LibraryError(f"Photo {photo_id} is in no duplicate group. See `photo-organizer duplicates`.")


def plan_keep(library: Library, what: str, photo_ids: list[int], keep_id: int) -> ReviewPlan:
    """Keep ``keep_id`` (and its files of the same shot); the other photos would go."""
    rows = {int(r["id"]): r["path"] for r in library.shot_rows(photo_ids)}
    if keep_id not in rows:
        raise LibraryError(f"Photo {keep_id} is not in {what}.")
    kept_shot = _shot_name(rows[keep_id])
    keep = [(pid, path) for pid, path in rows.items() if _shot_name(path) == kept_shot]
    trash = [(pid, path) for pid, path in rows.items() if _shot_name(path) != kept_shot]
    return ReviewPlan(what, sorted(keep), sorted(trash))


def _shot_name(path: str) -> tuple[str, str]:
    folder, name = os.path.split(path)
    return folder, os.path.splitext(name)[0].lower()
