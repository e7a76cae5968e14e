"""The first DINOv2 pass calibrates ITAE on its way, so DINOv2's first blocks run once per photo.

θ (itae_calibration.py) is measured on the tokens entering DINOv2's last block for a random
sample of the library, and θ changes what that last block computes. So this pass takes the
sampled photos first, runs each up to the last block and keeps the tokens entering it,
calibrates once the whole sample is seen, finishes only the last block of the kept photos with
the calibrated settings, then embeds the rest of the library as any pass does. Same sample,
same batches and same arithmetic as calibrating first and embedding after, so θ and the vectors
are those of the two-pass way (the joint strategy and ``itae calibrate`` still go that way).

Nothing is committed before θ is stored: a pass stopped while sampling starts over next time
(the kept tokens, in a temporary file, go with it); stopped later, it resumes like any pass.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import numpy as np

from photo_organizer.embedding import (
    AUTO_CALIBRATION_SAMPLE,
    AUTO_CALIBRATION_SETTING,
    PassReport,
    decoded_batches,
    embed_photos,
    pass_progress,
)
from photo_organizer.itae_calibration import calibrate_job, sample_photo_ids, store_calibration
from photo_organizer.models.itae import SETTING_KEY as ITAE_SETTING_KEY
from photo_organizer.models.itae import block_input_norms, load_settings
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import DINO
from photo_organizer.progress import Job, RateMeter
from photo_organizer.storage import Library

SOURCE = "v"  # the projection whose norms calibrate θ (ITAE's default)


def auto_calibration_weights(library: Library, models: ModelProvider) -> str | None:
    """The DINOv2 weights to calibrate θ for before their first pass, or None: nothing to do.

    θ is calibrated automatically only while ITAE is in Photo Organizer's hands: never set by
    the user (no ``itae`` setting yet), or last set automatically for other weights and not
    touched since. Otherwise every DINOv2 vector would be computed twice (before and after).
    """
    key = models.active_key(library, DINO)
    if key is None or not library.has_live_photos():
        return None
    weights = key.rsplit(":itae-", 1)[0]
    marker = library.get_setting(AUTO_CALIBRATION_SETTING)
    untouched = library.get_setting(ITAE_SETTING_KEY) is None
    ours_for_other_weights = (
        marker is not None
        and marker["weights"] != weights
        and marker["settings"] == load_settings(library).to_setting()
    )
    return weights if untouched or ours_for_other_weights else None


def mark_auto_calibration(library: Library, weights: str) -> None:
    """Remember that θ was found automatically for ``weights`` (and with which settings)."""
    library.set_setting(AUTO_CALIBRATION_SETTING, {"weights": weights, "settings": load_settings(library).to_setting()})


def auto_calibrate_itae(library: Library, models: ModelProvider, weights: str) -> Job[None]:
    """Calibrate θ for ``weights`` on a sample of the library before a joint pass (which cannot
    find θ on its way: CLIP and DINOv2 share its batches)."""
    yield from calibrate_job(library, lambda: models.dino(library), sample=AUTO_CALIBRATION_SAMPLE)
    mark_auto_calibration(library, weights)


def calibrating_dino_pass(
    library: Library, models: ModelProvider, weights: str, stage: str, batch_size: int, workers: int | None
) -> Job[PassReport]:
    """The first DINOv2 pass for ``weights`` (see the module docstring)."""
    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()
    encoder = models.dino(library)
    sample = sample_photo_ids(library, AUTO_CALIBRATION_SAMPLE)
    missing = library.photos_missing_embedding(encoder.model_key)
    report = PassReport(stage, [encoder.model_key], total=len(set(sample).union(missing)))
    meter = RateMeter(report.total)
    started = time.perf_counter()
    norms = []
    seen = 0
    with KeptTokens() as kept:
        with closing(decoded_batches(library, sample, [encoder], batch_size, workers)) as batches:
            for batch in batches:
                report.failed += batch.failed
                if batch.photo_ids:
                    forward_started = time.perf_counter()
                    tokens = encoder.last_block_inputs(torch.stack(batch.inputs[0]))
                    norms.append(block_input_norms(encoder.model, tokens, SOURCE).numpy())
                    report.model_seconds += time.perf_counter() - forward_started
                    kept.add(batch.photo_ids, tokens)
                seen = batch.done
                yield pass_progress(stage, seen, meter, len(report.failed))
        if norms:  # else nothing readable was sampled: θ is left for the next index
            store_calibration(library, encoder, SOURCE, norms, kept.photos, len(report.failed))
            mark_auto_calibration(library, weights)
            encoder = models.retune_dino(library, encoder)
            report.model_keys = [encoder.model_key]
        for photo_ids, tokens in kept:
            forward_started = time.perf_counter()
            vectors = encoder.finish_last_block(tokens.to(encoder.device))
            report.model_seconds += time.perf_counter() - forward_started
            library.put_embeddings(encoder.model_key, photo_ids, vectors)
            report.embedded += len(photo_ids)
            yield pass_progress(stage, seen, meter, len(report.failed))
    report.seconds = time.perf_counter() - started
    sampled = set(sample)
    rest = [photo_id for photo_id in library.photos_missing_embedding(encoder.model_key) if photo_id not in sampled]
    report.total = seen + len(rest)
    return (yield from embed_photos(library, [encoder], rest, stage, batch_size, workers, report))


class KeptTokens:
    """The sampled photos' last-block inputs, kept in a temporary file until θ is known: in
    memory they would add about 200 MB (ViT-B/14) to the peak of indexing. Read back exactly
    (raw float32), one batch at a time; the file goes when the block ends."""

    def __init__(self) -> None:
        self._file: Any = None
        self._batches: list[tuple[list[int], tuple[int, ...], Any, int]] = []  # ids, shape, dtype, offset
        self.photos = 0

    def __enter__(self) -> "KeptTokens":
        self._file = tempfile.TemporaryFile(prefix="photo-organizer-tokens-")
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def add(self, photo_ids: list[int], tokens: Any) -> None:
        array = tokens.detach().cpu().contiguous().numpy()
        self._batches.append((photo_ids, array.shape, array.dtype, self._file.tell()))
        self._file.write(array.data)
        self.photos += len(photo_ids)

    def __iter__(self) -> Iterator[tuple[list[int], Any]]:
        import torch

        for photo_ids, shape, dtype, offset in self._batches:
            self._file.seek(offset)
            array = np.fromfile(self._file, dtype=dtype, count=int(np.prod(shape))).reshape(shape)
            yield photo_ids, torch.from_numpy(array)
