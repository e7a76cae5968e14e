"""The index job: scan the roots, then read metadata and make thumbnails of pending photos.

Decoding runs in a thread pool a few batches ahead of the writer (Pillow releases the GIL
while decoding). Results are committed in batches, thumbnails first, so a photo marked ``ok``
always has its thumbnail. A file that cannot be read is recorded with its reason and the run
goes on. Stopping the generator at any yield leaves a consistent database; the next run
resumes with the photos still pending. Embeddings are computed by ``embedding.embed_library``.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from photo_organizer.errors import ImageLoadError
from photo_organizer.imaging import PhotoMetadata, inspect_and_prepare, inspect_photo
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.scanner import ScanReport, scan_roots
from photo_organizer.storage import ERROR, PENDING, REMOVED, Library, iter_chunks, path_from_db
from photo_organizer.thumbnails import ThumbnailCache

BATCH_SIZE = 64


@dataclass
class IndexReport:
    scan: ScanReport = field(default_factory=ScanReport)
    processed: int = 0
    failed: int = 0
    vanished: int = 0
    thumbnails_pruned: int = 0
    searchable: int = 0  # photos given their search vector from the decode that read them


@dataclass(frozen=True)
class _Outcome:
    photo_id: int
    fingerprint: str | None
    metadata: PhotoMetadata | None = None
    thumbnail: bytes | None = None
    error: str | None = None
    vanished: bool = False
    search_input: Any = None  # the search model's input, made from the same decode


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def index_library(
    library: Library,
    thumbnails: ThumbnailCache,
    roots: list[dict] | None = None,
    workers: int | None = None,
) -> Job[IndexReport]:
    report = IndexReport()
    report.scan = yield from scan_roots(library, roots)
    yield from read_pending_photos(library, thumbnails, report, workers)
    return report


def read_pending_photos(
    library: Library, thumbnails: ThumbnailCache, report: IndexReport, workers: int | None = None, search_encoder: Any = None
) -> Job[IndexReport]:
    """Metadata and thumbnails of the pending photos, then the thumbnails nobody uses dropped.

    With a ``search_encoder`` (the CLIP pass's, see ``embedding.pass_encoder``), each photo
    read is also embedded from the same decode: the CLIP pass then has nothing to decode
    again for them (a photo it could not take, one with transparency, is left to that pass)."""
    yield from process_pending(library, thumbnails, report, workers or default_workers(), search_encoder)
    if report.scan.modified or report.processed:
        # Thumbnails of replaced content; removed photos keep theirs in case they come back.
        report.thumbnails_pruned = thumbnails.prune(library.fingerprints_in_use())
    return report


def photos_missing_thumbnails(library: Library, thumbnails: ThumbnailCache) -> list[dict]:
    """Live photos of reachable folders whose thumbnail is not in the cache (a deleted or
    damaged ``thumbnails.db``): a set difference of fingerprints, no file is opened."""
    cached = thumbnails.fingerprints()
    return [row for row in library.reachable_photo_fingerprints() if row["fingerprint"] not in cached]


def rebuild_thumbnails(library: Library, thumbnails: ThumbnailCache, workers: int | None = None) -> Job[int]:
    """Make the missing thumbnails again; returns how many were made. Photos are not changed
    (a file that cannot be read now is left for the next scan to notice)."""
    rows = photos_missing_thumbnails(library, thumbnails)
    made = 0
    yield Progress("thumbnails", 0, len(rows))
    for batch in _decoded_batches(rows, workers or default_workers()):
        made_now = [(o.fingerprint, o.thumbnail) for o in batch if o.thumbnail and o.fingerprint]
        thumbnails.put_many(made_now)
        made += len(made_now)
        yield Progress("thumbnails", made, len(rows))
    return made


def has_pending_photos(library: Library) -> bool:
    return bool(library.count_by_state().get(PENDING, 0))


def process_pending(
    library: Library, thumbnails: ThumbnailCache, report: IndexReport, workers: int, search_encoder: Any = None
) -> Job[None]:
    rows = library.pending_photos()
    total = len(rows)
    meter = RateMeter(total)
    yield Progress("thumbnails", 0, total)
    done = 0
    prepare = search_encoder.preprocess if search_encoder is not None else None
    for batch in _decoded_batches(rows, workers, prepare):
        _commit(library, thumbnails, batch, report)
        if search_encoder is not None:
            report.searchable += _embed_read_photos(library, search_encoder, batch)
        done += len(batch)
        eta = meter.eta_seconds(done)
        yield Progress("thumbnails", done, total, f"ETA {eta:.0f}s" if eta is not None else "", meter.rate(done))


def _embed_read_photos(library: Library, encoder: Any, batch: list[_Outcome]) -> int:
    """The search vectors of a committed batch's readable photos, in the pass's batch size;
    returns how many were stored."""
    from photo_organizer.embedding import DEFAULT_BATCH_SIZE

    ready = [outcome for outcome in batch if outcome.search_input is not None]  # read, and no transparency
    for chunk in iter_chunks(ready, DEFAULT_BATCH_SIZE):
        vectors = encoder.encode_images(encoder.batch([o.search_input for o in chunk]))
        library.put_embeddings(encoder.model_key, [o.photo_id for o in chunk], vectors)
    return len(ready)


def _decoded_batches(
    rows: Sequence[dict], workers: int, prepare: Callable[[Any], Any] | None = None
) -> Iterator[list[_Outcome]]:
    """Outcomes in batches, decoding up to two batches ahead of the consumer."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
        window: deque[Future[_Outcome]] = deque()
        row_iter = iter(rows)
        try:
            for row in row_iter:
                window.append(pool.submit(_inspect, row, prepare))
                if len(window) >= 3 * BATCH_SIZE:
                    yield [window.popleft().result() for _ in range(BATCH_SIZE)]
            while window:
                yield [window.popleft().result() for _ in range(min(BATCH_SIZE, len(window)))]
        finally:
            for future in window:
                future.cancel()


def _inspect(row: dict, prepare: Callable[[Any], Any] | None = None) -> _Outcome:
    photo_id, fingerprint = row["id"], row["fingerprint"]
    try:
        if prepare is not None:
            metadata, thumbnail, search_input = inspect_and_prepare(path_from_db(row["path"]), prepare)
            return _Outcome(photo_id, fingerprint, metadata, thumbnail, search_input=search_input)
        metadata, thumbnail = inspect_photo(path_from_db(row["path"]))
        return _Outcome(photo_id, fingerprint, metadata, thumbnail)
    except FileNotFoundError:
        return _Outcome(photo_id, fingerprint, vanished=True)
    except ImageLoadError as error:
        return _Outcome(photo_id, fingerprint, error=str(error))
    except PermissionError:
        return _Outcome(photo_id, fingerprint, error="no permission to read this file")
    except MemoryError:
        return _Outcome(photo_id, fingerprint, error="not enough memory to decode this image")
    except Exception as error:  # one bad file must never abort the run
        return _Outcome(photo_id, fingerprint, error=f"unexpected decoder error: {type(error).__name__}: {error}")


def _commit(library: Library, thumbnails: ThumbnailCache, batch: list[_Outcome], report: IndexReport) -> None:
    thumbnails.put_many([(o.fingerprint, o.thumbnail) for o in batch if o.thumbnail and o.fingerprint])
    now = time.time()
    with library.transaction():
        for outcome in batch:
            if outcome.vanished:
                report.vanished += 1
                library.set_photo_state(outcome.photo_id, REMOVED)
            elif outcome.error is not None:
                report.failed += 1
                library.set_photo_state(outcome.photo_id, ERROR, outcome.error)
            else:
                report.processed += 1
                store_metadata(library, outcome.photo_id, outcome.metadata, now)


def store_metadata(library: Library, photo_id: int, meta: PhotoMetadata | None, now: float) -> None:
    """Record a photo's metadata and capture time, and mark it ok. Caller holds the transaction."""
    assert meta is not None
    library.store_metadata(photo_id, meta, now)
    library.save_capture(photo_id, meta.taken_offset, meta.taken_subsec_ms, meta.date_note)
