"""The stacking job: new photos join stacks (or form them), incrementally, with a best shot.

Pipeline place: after the embedding passes (it needs the DINOv2 features, or CLIP's when
DINOv2 is off), before album updates. ``pending_count`` is a cheap SQL count (no model, no
torch); the job reads stored embeddings only.

For each batch of new photos the job recomputes the stacks of their neighbourhood: photos of
the same camera within ``max_gap`` seconds (widened until no new photo falls in), files with
the same folder and base name, and the members of the stacks any of these are in. Those old
stacks are replaced by the new grouping in one transaction per batch, so an interrupted run
resumes with the photos it had not considered yet. A best shot the user picked stays picked
while it is still in the stack.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from photo_organizer.errors import ImageLoadError
from photo_organizer.models.provider import ModelProvider
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.stacks import store
from photo_organizer.stacks.grouping import (
    BURST_THRESHOLDS,
    DEFAULT_MAX_GAP_SECONDS,
    Shot,
    StackGroup,
    find_stacks,
    unit_rows,
)
from photo_organizer.stacks.quality import ShotQuality, best_of, measure_file
from photo_organizer.storage import Library, iter_chunks

BATCH = 200
_MAX_WIDENING = 50  # a burst longer than 50 * max_gap seconds is cut (a timelapse is no burst)


@dataclass
class StackReport:
    considered: int = 0
    stacks_written: int = 0
    stacks_removed: int = 0
    measured: int = 0
    unreadable: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.considered} new photos considered; {self.stacks_written} stacks written, "
            f"{self.stacks_removed} replaced; {self.measured} shots measured"
        )


def stack_features(models: ModelProvider, library: Library) -> tuple[str | None, float]:
    """(feature key, burst threshold): DINOv2's when active, else CLIP's, else none (cheap:
    no model load)."""
    for role in ("dino", "clip"):
        key = models.active_key(library, role)
        if key is not None:
            return key, BURST_THRESHOLDS[role]
    return None, BURST_THRESHOLDS["dino"]


def pending_count(library: Library, feature_key: str | None) -> int:
    """Photos with ``feature_key`` features the stacking job has not considered with them
    (cheap; no model). ``feature_key`` None: stacking RAW + JPEG pairs only."""
    return library.count_photos_to_stack(feature_key)


def update_stacks_job(
    library: Library, feature_key: str | None, threshold: float, max_gap: float = DEFAULT_MAX_GAP_SECONDS
) -> Job[StackReport]:
    """Consider every pending photo; ``feature_key`` None stacks RAW + JPEG pairs only."""
    report = StackReport()
    pending = library.photos_to_stack(feature_key)
    meter = RateMeter(len(pending))
    yield Progress("stacks", 0, len(pending))
    for batch in iter_chunks(pending, BATCH):
        _restack(library, list(batch), feature_key, threshold, max_gap, report)
        report.considered += len(batch)
        yield Progress("stacks", report.considered, len(pending), rate=meter.rate(report.considered))
    return report


def _restack(
    library: Library, batch: list[int], feature_key: str | None, threshold: float, max_gap: float, report: StackReport
) -> None:
    rows = _neighbourhood(library, batch, max_gap)
    shots = [shot_from_row(row) for row in rows]
    ids = [shot.photo_id for shot in shots]
    vectors = {}
    if feature_key is not None:
        found_ids, matrix = library.embeddings(feature_key, ids)
        vectors = unit_rows(found_ids.tolist(), matrix) if len(found_ids) else {}
    groups = find_stacks(shots, vectors, threshold, max_gap)
    old_stacks = set(library.stacks_of_photos(ids).values())
    picks = library.stack_user_picks(old_stacks)
    paths = {int(row["id"]): row["path"] for row in rows}
    known = store.qualities(library, ids)
    measured = _measure_missing(groups, shots, paths, known, report)
    new_stacks = [_stack_row(group, {**known, **measured}, picks) for group in groups]
    with library.transaction():
        store.put_qualities(library, measured)
        library.replace_stacks(old_stacks, new_stacks)
        library.mark_stacking_seen(batch, feature_key)
    report.stacks_written += len(new_stacks)
    report.stacks_removed += len(old_stacks)
    report.measured += len(measured)


def _neighbourhood(library: Library, batch: list[int], max_gap: float) -> list[dict]:
    """Rows of the batch's photos and of every photo a stack of theirs could contain."""
    rows = {int(r["id"]): r for r in library.shot_rows(batch)}
    frontier = list(rows.values())
    for _ in range(_MAX_WIDENING):
        found: set[int] = set()
        for row in frontier:
            found.update(_close_in_time(library, row, max_gap))
            folder, name = os.path.split(row["path"])
            found.update(library.same_name_photo_ids(folder, os.path.splitext(name)[0]))
        stack_ids = sorted(set(library.stacks_of_photos(found | set(rows)).values()))
        if stack_ids:
            found.update(m for stack in store.list_stacks(library, stack_ids) for m in stack.photo_ids)
        new = found - set(rows)
        if not new:
            break
        frontier = library.shot_rows(new)
        rows.update({int(r["id"]): r for r in frontier})
    return list(rows.values())


def _close_in_time(library: Library, row: dict, max_gap: float) -> list[int]:
    taken = parse_time(row["taken_at"])
    if taken is None:
        return []
    gap = timedelta(seconds=max_gap)
    start = (taken - gap).isoformat(timespec="milliseconds")
    end = (taken + gap).isoformat(timespec="milliseconds") + "\uffff"  # a time without milliseconds sorts before
    return library.burst_neighbour_ids(row["camera"], start, end)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def shot_from_row(row: dict) -> Shot:
    folder, name = os.path.split(row["path"])
    stem, extension = os.path.splitext(name)
    taken = parse_time(row["taken_at"])
    return Shot(
        photo_id=int(row["id"]),
        folder=folder,
        stem=stem.lower(),
        extension=extension.lower(),
        taken=(taken - datetime(1970, 1, 1)).total_seconds() if taken is not None else None,
        file_time=row["mtime"],
        camera=row["camera"],
    )


def _measure_missing(
    groups: list[StackGroup], shots: list[Shot], paths: dict[int, str], known: dict[int, ShotQuality], report: StackReport
) -> dict[int, ShotQuality]:
    """Sharpness and exposure of the stacked shots not measured yet (RAW files are judged by
    their JPEG twin, never decoded here)."""
    raw = {shot.photo_id for shot in shots if shot.is_raw}
    measured = {}
    for group in groups:
        for photo_id in group.photo_ids:
            if photo_id in known or photo_id in raw:
                continue
            try:
                measured[photo_id] = measure_file(paths[photo_id])
            except (ImageLoadError, OSError):
                report.unreadable.append(photo_id)
    return measured


def _stack_row(
    group: StackGroup, qualities: dict[int, ShotQuality], picks: dict[int, int]
) -> tuple[str, list[int], int | None, bool, str]:
    """(kind, members, best, picked by user, why) for ``replace_stacks``."""
    for picked in picks.values():
        if picked in group.photo_ids:
            return group.kind, group.photo_ids, picked, True, "picked by you"
    chosen = best_of({pid: qualities[pid] for pid in group.photo_ids if pid in qualities})
    if chosen is None:
        return group.kind, group.photo_ids, group.photo_ids[0], False, "no shot could be measured; the first one"
    return group.kind, group.photo_ids, chosen[0], False, chosen[1]
