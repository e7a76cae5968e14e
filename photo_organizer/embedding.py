"""The embedding pass of indexing: every live photo gets the vector of each enabled model.

Search has to work as early as possible, so by default the CLIP pass covers the whole library
first and DINOv2 (about 6x the cost of CLIP ViT-B/32 for ViT-B/14) follows ("clip-first").
The alternative, one decode feeding both models ("joint"), saves one decode per photo but
makes search wait for DINOv2; benchmarks/bench_index.py measures both.

In a pass, photos are decoded (JPEG draft mode) and preprocessed in a thread pool a few
batches ahead of the model; each batch's vectors are committed in their own transaction, so
stopping at any point (closing the job, Ctrl-C, kill) keeps what is done and the next run
picks up the photos still missing an embedding under the model key. A photo that cannot be
decoded is skipped with its reason; it never stops the run.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from typing import Any

from photo_organizer.errors import ImageLoadError, WeightsMissingError
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP, DINO, PASS_BATCH_SIZE, ROLES, active_spec, enabled_roles
from photo_organizer.models.runtime import large_blocks_returned
from photo_organizer.models.weights import missing_weights_message
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.storage import OK, Library, iter_chunks, path_from_db

CLIP_FIRST = "clip-first"
JOINT = "joint"
STRATEGIES = (CLIP_FIRST, JOINT)
DEFAULT_BATCH_SIZE = PASS_BATCH_SIZE[CLIP]  # for any encoder; a pass picks its own (pass_batch_size)
PREFETCH_BATCHES = 3  # decoded batches kept ready ahead of the model
_PATH_CHUNK = 512  # photo records read from the database at a time
AUTO_CALIBRATION_SETTING = "itae_auto_calibration"  # which weights θ was found for, automatically
AUTO_CALIBRATION_SAMPLE = 256  # photos; a few minutes of ViT-B/14 on a laptop CPU


def default_workers() -> int:
    """Decode threads: the model already uses every core; decoding mostly waits in C code."""
    return max(2, min(8, os.cpu_count() or 2))


@dataclass
class PassReport:
    stage: str  # "clip", "dino", or "clip+dino" for a joint pass
    model_keys: list[str]
    total: int
    embedded: int = 0
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # (photo id, path, reason)
    seconds: float = 0.0
    model_seconds: float = 0.0  # of which in the models' forward (the rest: waiting for decodes, commits)
    finished_after: float = 0.0  # seconds from the start of the job to the end of this pass

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


@dataclass
class EmbeddingReport:
    passes: list[PassReport] = field(default_factory=list)
    missing_weights: list[str] = field(default_factory=list)  # one message per role
    seconds: float = 0.0

    def time_until_complete(self, role: str) -> float | None:
        """Seconds from the start until every photo had its ``role`` embedding (this run)."""
        for report in self.passes:
            if role in report.stage.split("+"):
                return report.finished_after
        return None


def embed_library(
    library: Library,
    models: ModelProvider,
    *,
    roles: Sequence[str] | None = None,
    strategy: str = CLIP_FIRST,
    batch_size: int | None = None,
    workers: int | None = None,
) -> Job[EmbeddingReport]:
    """Compute the missing embeddings of the enabled models (CLIP first, then DINOv2).

    A role whose weights are not installed is skipped; the others still run, and at the end
    ``WeightsMissingError`` says which command installs what is missing.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    started = time.perf_counter()
    report = EmbeddingReport()
    wanted = [role for role in (roles or enabled_roles(library)) if active_spec(library, role) is not None]
    groups = [[role] for role in wanted] if strategy == CLIP_FIRST else ([wanted] if wanted else [])
    for group in groups:
        # torch's activations (DINOv2) go back to the system as they are freed: peak memory
        with large_blocks_returned() if DINO in group else nullcontext():
            pass_report = yield from _group_pass(library, models, group, batch_size or pass_batch_size(group), workers, report)
        if pass_report is not None:
            pass_report.finished_after = time.perf_counter() - started
            report.passes.append(pass_report)
    report.seconds = time.perf_counter() - started
    if report.missing_weights:
        raise WeightsMissingError("\n".join(report.missing_weights))
    return report


def _group_pass(
    library: Library, models: ModelProvider, group: list[str], size: int, workers: int | None, report: EmbeddingReport
) -> Job[PassReport | None]:
    """One pass of the models of ``group`` over the photos missing their embeddings (None: none)."""
    from photo_organizer.itae_pass import auto_calibrate_itae, auto_calibration_weights, calibrating_dino_pass

    if DINO in group and (weights := auto_calibration_weights(library, models)) is not None:
        if group == [DINO]:  # θ found on the way: DINOv2 runs once per photo
            yield Progress(DINO, 0, None, "loading model")
            return (yield from calibrating_dino_pass(library, models, weights, DINO, size, workers))
        yield from auto_calibrate_itae(library, models, weights)  # a joint pass: θ first
    todo = {role: missing for role in group if (missing := _missing_photos(library, models, role, report))}
    if not todo:
        return None
    stage = "+".join(todo)
    photo_ids = sorted(set().union(*todo.values()))
    yield Progress(stage, 0, len(photo_ids), "loading model")
    encoders = [pass_encoder(library, models, role) for role in todo]
    return (yield from embed_photos(library, encoders, photo_ids, stage, size, workers))


def pass_batch_size(roles: Sequence[str]) -> int:
    """Photos per forward for a pass running the models of ``roles`` on the same batches."""
    return min(PASS_BATCH_SIZE[role] for role in roles)


def pass_encoder(library: Library, models: ModelProvider, role: str) -> Any:
    """The encoder of ``role`` for a pass: CLIP's exported image tower when there is one (see
    ``exported_clip_encoder``), else the torch model."""
    exported = exported_clip_encoder(library, models) if role == CLIP else None
    return exported if exported is not None else models.encoder(library, role)


def exported_clip_encoder(library: Library, models: ModelProvider) -> Any:
    """The active CLIP model's exported image tower on ONNX Runtime when it is exported and
    the models run on a CPU (the same vectors within 1e-4, twice as fast on two cores, torch's
    model never loaded); None otherwise."""
    key = models.active_key(library, CLIP)
    if key is None:
        return None
    from photo_organizer.search.image_tower import onnx_pass_encoder

    return onnx_pass_encoder(models.home.model_exports(key), key, models.options.device)


def _missing_photos(library: Library, models: ModelProvider, role: str, report: EmbeddingReport) -> list[int]:
    """Photos still without this role's embedding; notes the role when its weights are missing."""
    key = models.active_key(library, role)
    if key is None:
        if _has_live_photos(library):
            report.missing_weights.append(missing_weights_message(active_spec(library, role)))
        return []
    return library.photos_missing_embedding(key)


def _has_live_photos(library: Library) -> bool:
    return library.has_live_photos()


def embed_photos(
    library: Library,
    encoders: Sequence[Any],
    photo_ids: Sequence[int],
    stage: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
    report: PassReport | None = None,
) -> Job[PassReport]:
    """One pass: decode each photo once, run every encoder on each batch, commit per batch.
    A ``report`` given goes on counting (and its progress with it) from where it stands."""
    report = report or PassReport(stage, [encoder.model_key for encoder in encoders], total=len(photo_ids))
    if not photo_ids:
        return report
    before = report.embedded + len(report.failed)
    meter = RateMeter(report.total)
    started = time.perf_counter()
    try:
        with closing(decoded_batches(library, photo_ids, encoders, batch_size, workers)) as batches:
            for batch in batches:
                report.failed += batch.failed
                if batch.photo_ids:
                    _encode_and_commit(library, encoders, batch.photo_ids, batch.inputs, report)
                yield pass_progress(stage, before + batch.done, meter, len(report.failed))
    finally:
        report.seconds += time.perf_counter() - started
    return report


@dataclass
class DecodedBatch:
    photo_ids: list[int]  # the readable photos of the batch
    inputs: list[list[Any]]  # per encoder, one preprocessed tensor per readable photo
    failed: list[tuple[int, str, str]]  # (photo id, path, reason) of the unreadable ones
    done: int  # photos seen so far, this batch included


def decoded_batches(
    library: Library,
    photo_ids: Sequence[int],
    encoders: Sequence[Any],
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
) -> Generator[DecodedBatch, None, None]:
    """``batch_size`` readable photos at a time (the last batch may be short or empty), decoded
    once for every encoder in a thread pool ahead of the consumer. Close it to stop the pool."""
    min_side = max(encoder.input_size for encoder in encoders)
    pool = ThreadPoolExecutor(max_workers=workers or default_workers(), thread_name_prefix="decode")
    batch = DecodedBatch([], [[] for _ in encoders], [], 0)
    try:
        for photo_id, path, prepared in prepared_photos(library, photo_ids, encoders, min_side, pool, batch_size):
            batch.done += 1
            if isinstance(prepared, str):
                batch.failed.append((photo_id, path, prepared))
            else:
                batch.photo_ids.append(photo_id)
                for inputs, tensor in zip(batch.inputs, prepared):
                    inputs.append(tensor)
            if len(batch.photo_ids) == batch_size:
                yield batch
                batch = DecodedBatch([], [[] for _ in encoders], [], batch.done)
        yield batch
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def prepared_photos(
    library: Library,
    photo_ids: Sequence[int],
    encoders: Sequence[Any],
    min_side: int,
    pool: ThreadPoolExecutor,
    batch_size: int,
) -> Iterator[tuple[int, str, list[Any] | str]]:
    """(photo id, path, model inputs or failure reason), in order, decoded ahead in ``pool``."""
    pending: deque[tuple[int, str, Future]] = deque()
    ahead = batch_size * PREFETCH_BATCHES
    for photo_id, path in _photo_paths(library, photo_ids):
        pending.append((photo_id, path, pool.submit(_prepare, path, encoders, min_side)))
        if len(pending) >= ahead:
            photo_id, path, future = pending.popleft()
            yield photo_id, path, future.result()
    while pending:
        photo_id, path, future = pending.popleft()
        yield photo_id, path, future.result()


def _photo_paths(library: Library, photo_ids: Sequence[int]) -> Iterator[tuple[int, str]]:
    for chunk in iter_chunks(photo_ids, _PATH_CHUNK):
        for record in library.photos(chunk):
            yield record.id, path_from_db(record.path)
        # a photo deleted from the library meanwhile is simply not yielded


def _prepare(path: str, encoders: Sequence[Any], min_side: int) -> list[Any] | str:
    """Decode once, preprocess for each encoder. A failure comes back as its reason."""
    from photo_organizer.imaging import load_rgb

    try:
        image = load_rgb(path, min_side)
        return [encoder.preprocess(image) for encoder in encoders]
    except ImageLoadError as error:
        return str(error)
    except FileNotFoundError:
        return "file not found (moved or deleted since the scan)"
    except OSError as error:
        return f"cannot read: {error}"
    except Exception as error:  # noqa: BLE001 - decoders fail in many ways on damaged files
        return f"cannot decode: {type(error).__name__}: {error}"


def _encode_and_commit(
    library: Library, encoders: Sequence[Any], photo_ids: list[int], inputs: list[list[Any]], report: PassReport
) -> None:
    for encoder, tensors in zip(encoders, inputs):
        started = time.perf_counter()
        vectors = encoder.encode_images(encoder.batch(tensors))
        report.model_seconds += time.perf_counter() - started
        library.put_embeddings(encoder.model_key, photo_ids, vectors)
    report.embedded += len(photo_ids)


def pass_progress(stage: str, done: int, meter: RateMeter, failed: int) -> Progress:
    """Photos/s travels in ``rate`` (bars and lines show it); the message adds ETA and failures."""
    eta = meter.eta_seconds(done)
    parts = []
    if eta is not None and done < (meter.total or 0):
        parts.append(f"ETA {_duration(eta)}")
    if failed:
        parts.append(f"{failed} unreadable")
    return Progress(stage, done, meter.total, ", ".join(parts), meter.rate(done))


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def embedding_coverage(models: ModelProvider, library: Library) -> list[dict[str, Any]]:
    """Per role: the active model, its key, and how many live photos have its embedding."""
    live = library.count_by_state().get(OK, 0)
    counts = library.embedding_coverage()
    rows = []
    for role in ROLES:
        spec = active_spec(library, role)
        key = models.active_key(library, role) if spec else None
        rows.append(
            {
                "role": role,
                "model": spec.name if spec else None,
                "model_key": key,
                "weights_installed": key is not None,
                "embedded": counts.get(key, 0) if key else 0,
                "photos": live,
            }
        )
    return rows
