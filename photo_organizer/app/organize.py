"""Taught albums and stacks for front ends: newcomers to confirm, stacks shown as one tile,
the review of stacks with the system trash and its undo. Qt-free; ``LibraryService`` mixes it in.

A stack shows in a browsing view as its best shot (the cover) with the number of its photos
there; the stack's own view lists them all, best first. Nothing is ever deleted: the review
moves files to the system trash after the user confirmed, and records them for an undo.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from photo_organizer.app import listing
from photo_organizer.app.timeline import kept_sections
from photo_organizer.app.types import GridContents, ReviewGroup
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library

if TYPE_CHECKING:
    from photo_organizer.context import AppContext
    from photo_organizer.models.provider import ModelProvider
    from photo_organizer.stacks.store import Stack


class OrganizeActions:
    ctx: AppContext  # provided by LibraryService

    @property
    def library(self) -> Library:  # overridden by LibraryService
        return self.ctx.library

    # ---- taught albums ----------------------------------------------------------------------

    def taught_album_contents(self, album_id: int, title: str) -> GridContents:
        """Newcomers not confirmed yet first, then the other members."""
        from photo_organizer.taught.store import SOURCE_NEW, member_sources

        sources = member_sources(self.library, album_id)
        new = [pid for pid, source in sources.items() if source == SOURCE_NEW]
        others = [pid for pid, source in sources.items() if source != SOURCE_NEW]
        contents = listing.photos_in_order(self.library, new + others, title)
        contents.new_ids = set(new) & set(contents.photo_ids.tolist())
        return contents

    def new_in_taught_albums(self) -> dict[int, int]:
        """taught album id -> newcomers waiting for a confirmation."""
        from photo_organizer.taught.store import SOURCE_NEW, member_sources

        return {
            album_id: sum(1 for source in member_sources(self.library, album_id).values() if source == SOURCE_NEW)
            for album_id in self.library.taught_album_ids()
        }

    def is_taught_album(self, album_id: int) -> bool:
        return self.library.is_taught_album(album_id)

    def confirm_in_album(self, album_id: int, photo_ids: list[int]) -> None:
        from photo_organizer.taught.albums import confirm

        confirm(self.library, album_id, photo_ids)

    # ---- stacks -----------------------------------------------------------------------------

    def collapse_stacks(self, contents: GridContents) -> GridContents:
        """One tile per stack: its cover where the first of its photos was, with the count.
        Reads the stack tables whole (they hold stacked photos only), not the view's ids."""
        ids = contents.photo_ids.tolist()
        present = set(ids)
        stack_of = {pid: stack for pid, stack in self.library.stack_membership().items() if pid in present}
        if not stack_of:
            return contents
        members: dict[int, list[int]] = {}
        for pid in ids:
            if pid in stack_of:
                members.setdefault(stack_of[pid], []).append(pid)
        best = self.library.stack_best_shots()
        shown: list[int] = []
        kept: list[bool] = []  # per photo of the view: does a tile stay in its place
        sizes: dict[int, int] = {}
        for pid in ids:
            before = len(shown)
            stack_id = stack_of.get(pid)
            if stack_id is None or len(members[stack_id]) < 2:
                shown.append(pid)
            elif pid == members[stack_id][0]:  # the stack's place in the view
                chosen = best.get(stack_id)
                cover = chosen if chosen is not None and chosen in members[stack_id] else pid
                shown.append(cover)
                sizes[cover] = len(members[stack_id])
            kept.append(len(shown) > before)
        contents.photo_ids = np.asarray(shown, dtype=np.int64)
        contents.stack_sizes = sizes
        contents.sections = kept_sections(contents.sections, kept)
        return contents

    def stack_of_photo(self, photo_id: int) -> int | None:
        return self.library.stacks_of_photos([photo_id]).get(photo_id)

    def stack_contents(self, stack_id: int, title: str) -> GridContents:
        """The stack's photos, best shot first."""
        stack = self._stack(stack_id)
        contents = listing.photos_in_order(self.library, stack.photo_ids, title)
        contents.best_id = stack.best_photo_id
        return contents

    def stack_title(self, stack_id: int) -> str:
        stack = self._stack(stack_id)
        what = "RAW + JPEG pair" if stack.kind == "raw+jpeg" else "Burst"
        return f"{what} of {len(stack.photo_ids)} photos"

    def best_shot(self, stack_id: int) -> int | None:
        return self._stack(stack_id).best_photo_id

    def make_best_shot(self, stack_id: int, photo_id: int) -> None:
        from photo_organizer.errors import LibraryError

        if photo_id not in self._stack(stack_id).photo_ids:
            raise LibraryError(f"Photo {photo_id} is not in this stack.")
        self.library.set_stack_best(stack_id, photo_id, "picked by you")

    def _stack(self, stack_id: int) -> Stack:
        """The stack with its best shot first."""
        from photo_organizer.stacks.store import get_stack

        stack = get_stack(self.library, stack_id)
        best = [stack.best_photo_id] if stack.best_photo_id in stack.photo_ids else []
        return replace(stack, photo_ids=best + [p for p in stack.photo_ids if p not in best])

    # ---- review: keep the best, the others to the system trash ------------------------------

    def stack_count(self) -> int:
        from photo_organizer.stacks.store import list_stacks

        return len(list_stacks(self.library))

    def review_groups(self) -> list[ReviewGroup]:
        from photo_organizer.stacks.store import list_stacks

        groups = []
        for stack in list_stacks(self.library):
            ordered = self._stack(stack.id).photo_ids
            groups.append(ReviewGroup(stack.id, stack.kind, ordered, stack.best_photo_id, stack.why or ""))
        return groups

    def duplicates_review_job(self):  # noqa: ANN201 - JobFactory
        """Duplicate groups for the review (worker thread), the largest file suggested."""
        models = self.ctx.models

        def make(library: Library) -> Job:
            return _duplicate_groups(library, models)

        return make

    def photos_to_trash(self, group: ReviewGroup) -> list[tuple[int, str]]:
        """What "keep best" would move to the trash (the kept shot's RAW twin stays)."""
        from photo_organizer.stacks.review import plan_keep, plan_keep_best

        if group.stack_id is not None:
            return plan_keep_best(self.library, group.stack_id).trash
        assert group.best_id is not None
        return plan_keep(self.library, group.key, group.photo_ids, group.best_id).trash

    def keep_best_trash_others(self, group: ReviewGroup) -> str:
        """After the user confirmed: the others to the system trash; a one-line summary."""
        from photo_organizer.stacks.trash import trash_photos

        report = trash_photos(self.library, self.photos_to_trash(group))
        text = f"Moved {len(report.trashed):,} photos to the trash"
        if report.failed:
            text += f"; {len(report.failed):,} could not be moved ({report.failed[0][1]})"
        return text + ". “Undo last trash” puts them back."

    def can_undo_trash(self) -> bool:
        return self.library.last_trash_batch() is not None

    def undo_last_trash(self) -> str:
        from photo_organizer.stacks.trash import restore

        report = restore(self.library)
        text = f"Put {len(report.restored):,} photos back in their place"
        if report.failed:
            text += f"; {len(report.failed):,} could not be restored ({report.failed[0][1]})"
        return text + "."


def _duplicate_groups(library: Library, models: ModelProvider) -> Job:
    from photo_organizer.albums.duplicates import NEAR_IDENTICAL_THRESHOLDS, find_duplicates
    from photo_organizer.models.registry import DINO

    yield Progress("duplicates", 0, None, "comparing photos")
    report = find_duplicates(library, models.active_key(library, DINO), NEAR_IDENTICAL_THRESHOLDS[DINO])
    groups = []
    for group in report.exact + report.near:
        records = {r.id: r for r in library.photos(group.photo_ids)}
        largest = max(group.photo_ids, key=lambda pid: ((records[pid].width or 0) * (records[pid].height or 0), records[pid].size or 0))
        ordered = [largest] + [pid for pid in group.photo_ids if pid != largest]
        groups.append(ReviewGroup(None, group.kind, ordered, largest, "the largest file"))
    return groups
