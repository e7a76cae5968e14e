"""Calibrating ITAE's threshold θ on the user's own photos, and showing where artifacts are.

The last block's patch-token norms of DINOv2 are bimodal: a few percent of "artifact" tokens
with tiny norms (in V) and the rest. θ is the valley between the two modes of the log-norm
distribution, found on a sample of the library (``calibrate_job``) and stored in the library
settings. When the sample is not bimodal (small models often have no artifacts), θ stays unset
and ITAE stays a no-op.

Valley finding (``find_valley``), on log norms:

* ``gmm`` (default): a two-component Gaussian mixture; θ is the minimum of the fitted mixture
  density between the two means (the valley itself, unlike the equal-posterior point, which a
  2% component drags towards its own mode).
* ``otsu``: Otsu's threshold on a 256-bin histogram (maximal between-class variance).

"Bimodal" means all three of: Ashman's D of the two components at least ``MIN_ASHMAN_D`` (2; a
mixture of two equal-variance Gaussians is bimodal for D > 2), the smaller component holds at
least ``MIN_MINOR_WEIGHT`` of the tokens, and the smoothed histogram dips at θ to at most
``MAX_DIP_RATIO`` of the lower of the two peaks on either side (a skewed single mode that the
mixture splits in two shows no dip). A low-norm mode holding more than ``MAX_ARTIFACT_WEIGHT``
of the tokens is refused too: artifacts are a small minority.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photo_organizer.errors import ImageLoadError, LibraryError, ModelError
from photo_organizer.imaging import load_rgb
from photo_organizer.models.itae import (
    SOURCES,
    ITAESettings,
    load_settings,
    recording_norms,
    round_threshold,
    save_settings,
)
from photo_organizer.models.registry import DINO, PASS_BATCH_SIZE
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.storage import path_from_db

if TYPE_CHECKING:
    from PIL import Image

    from photo_organizer.models.provider import ModelProvider
    from photo_organizer.storage import Library

MIN_ASHMAN_D = 2.0
MIN_MINOR_WEIGHT = 0.001
MAX_DIP_RATIO = 0.5
MAX_ARTIFACT_WEIGHT = 0.25  # artifacts are a small minority (about 2% in DINOv2 ViT-B/L)
HISTOGRAM_BINS = 128
MAX_FIT_TOKENS = 200_000  # the mixture is fitted on a random subset beyond this
DEFAULT_SAMPLE = 1000
CALIBRATION_SETTING = "itae_calibration"  # the last calibration's summary, for status and the GUI
METHODS = ("gmm", "otsu")


@dataclass(frozen=True)
class Valley:
    """Where the log-norm distribution splits; norms (not logs) throughout."""

    bimodal: bool
    reason: str  # one sentence for the user
    threshold: float | None  # θ, None when not bimodal
    method: str
    gmm_threshold: float | None
    otsu_threshold: float | None
    low_mode: float  # exp of the lower component mean
    high_mode: float
    low_weight: float  # mixture weight of the lower component
    ashman_d: float
    dip_ratio: float  # histogram density at the valley over the lower of the two peaks
    fraction_flagged: float  # of the sample, at or below θ
    tokens: int


def find_valley(norms: np.ndarray, method: str = "gmm", seed: int = 0) -> Valley:
    """The valley of the log-norm distribution of ``norms`` (any shape), or why there is none."""
    if method not in METHODS:
        raise ModelError(f"Unknown valley method {method!r}; use one of {', '.join(METHODS)}.")
    values = np.asarray(norms, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size < 100:
        raise ModelError(f"Too few token norms to calibrate ({values.size}); use more photos.")
    logs = np.log(np.maximum(values, 1e-12))
    fit = _fit_two_gaussians(logs, seed)
    density, edges = _smoothed_histogram(logs)
    gmm_log = _mixture_valley(fit)
    otsu_log = _otsu(logs)
    chosen_log = gmm_log if method == "gmm" else otsu_log
    dip = _dip_ratio(density, edges, chosen_log)
    low, high = fit["means"]
    reason = _bimodality_verdict(fit, dip)
    bimodal = reason is None
    threshold = round_threshold(math.exp(chosen_log)) if bimodal else None
    return Valley(
        bimodal=bimodal,
        reason=reason or "bimodal: artifact tokens separate from the rest",
        threshold=threshold,
        method=method,
        gmm_threshold=round_threshold(math.exp(gmm_log)),
        otsu_threshold=round_threshold(math.exp(otsu_log)),
        low_mode=math.exp(low),
        high_mode=math.exp(high),
        low_weight=float(fit["weights"][0]),
        ashman_d=float(fit["ashman_d"]),
        dip_ratio=float(dip),
        fraction_flagged=float(np.mean(values <= threshold)) if threshold is not None else 0.0,
        tokens=int(values.size),
    )


def _fit_two_gaussians(logs: np.ndarray, seed: int) -> dict[str, Any]:
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(seed)
    subset = logs if logs.size <= MAX_FIT_TOKENS else rng.choice(logs, MAX_FIT_TOKENS, replace=False)
    mixture = GaussianMixture(n_components=2, covariance_type="full", n_init=3, random_state=seed)
    mixture.fit(subset.reshape(-1, 1))
    order = np.argsort(mixture.means_.ravel())
    means = mixture.means_.ravel()[order]
    stds = np.sqrt(mixture.covariances_.ravel()[order])
    weights = mixture.weights_[order]
    ashman_d = math.sqrt(2.0) * abs(means[1] - means[0]) / math.sqrt(stds[0] ** 2 + stds[1] ** 2)
    return {"means": means, "stds": stds, "weights": weights, "ashman_d": ashman_d}


def _mixture_density(fit: dict[str, Any], x: np.ndarray) -> np.ndarray:
    means, stds, weights = fit["means"], fit["stds"], fit["weights"]
    parts = [w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)) for m, s, w in zip(means, stds, weights)]
    return parts[0] + parts[1]


def _mixture_valley(fit: dict[str, Any]) -> float:
    """Log of the minimum of the mixture density between the two means."""
    grid = np.linspace(fit["means"][0], fit["means"][1], 2001)
    return float(grid[np.argmin(_mixture_density(fit, grid))])


def _otsu(logs: np.ndarray, bins: int = 256) -> float:
    counts, edges = np.histogram(logs, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    cumulative_mean = np.cumsum(counts * centers)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = cumulative_mean / weight_low
        mean_high = (cumulative_mean[-1] - cumulative_mean) / weight_high
        between = weight_low * weight_high * (mean_low - mean_high) ** 2
    between = np.nan_to_num(between[:-1], nan=-1.0)
    return float(edges[np.argmax(between) + 1])  # upper edge of the last "low" bin


def _smoothed_histogram(logs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.quantile(logs, [0.0001, 0.9999])
    if high <= low:
        high = low + 1e-6
    counts, edges = np.histogram(logs, bins=HISTOGRAM_BINS, range=(low, high))
    kernel = np.ones(5) / 5
    return np.convolve(counts.astype(np.float64), kernel, mode="same"), edges


def _dip_ratio(density: np.ndarray, edges: np.ndarray, valley_log: float) -> float:
    """Density at the valley over the lower of the highest peaks left and right of it."""
    index = int(np.clip(np.searchsorted(edges, valley_log) - 1, 0, density.size - 1))
    left, right = density[: index + 1].max(), density[index:].max()
    lower_peak = min(left, right)
    return float(density[index] / lower_peak) if lower_peak > 0 else 1.0


def _bimodality_verdict(fit: dict[str, Any], dip_ratio: float) -> str | None:
    """None when bimodal, else the reason it is not (starting with "not bimodal")."""
    if fit["ashman_d"] < MIN_ASHMAN_D:
        return f"not bimodal: the two modes overlap (Ashman's D {fit['ashman_d']:.2f} < {MIN_ASHMAN_D:g})"
    if fit["weights"].min() < MIN_MINOR_WEIGHT:
        return f"not bimodal: the second mode holds under {MIN_MINOR_WEIGHT:.1%} of the tokens"
    if dip_ratio > MAX_DIP_RATIO:
        return f"not bimodal: no valley between the modes (dip ratio {dip_ratio:.2f} > {MAX_DIP_RATIO:g})"
    return None


# ---- the calibration job -----------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    model: str  # the DINOv2 model θ was measured on
    source: str
    photos: int  # photos whose norms went into the sample
    failed: int  # sampled photos that could not be read
    valley: Valley
    settings: ITAESettings  # as stored
    norms: np.ndarray = field(repr=False, compare=False)  # the sampled token norms, for the plot

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "source": self.source,
            "photos": self.photos,
            "failed": self.failed,
            **asdict(self.valley),
            "settings": self.settings.to_setting(),
        }


def preprocessed_batches(
    paths: list[str], preprocess: Any, input_size: int, batch_size: int, workers: int | None = None
) -> Iterator[tuple[list[int], list[tuple[int, str]], Any]]:
    """Decode and preprocess ``paths`` in a thread pool, one batch ahead of the consumer.

    Yields (indices of the images in the batch, [(index, reason)] of unreadable ones, stacked
    tensor or None when the whole batch failed).
    """
    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()

    def load(index: int) -> tuple[int, Any, str | None]:
        try:
            return index, preprocess(load_rgb(paths[index], min_side=input_size)), None
        except ImageLoadError as error:
            return index, None, str(error)
        except FileNotFoundError:
            return index, None, "file not found (moved or deleted since the scan)"
        except OSError as error:
            return index, None, f"cannot read: {error}"

    starts = range(0, len(paths), batch_size)
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        pending = None
        for start in [*starts, None]:
            upcoming = None
            if start is not None:
                upcoming = [pool.submit(load, i) for i in range(start, min(start + batch_size, len(paths)))]
            if pending is not None:
                results = [future.result() for future in pending]
                good = [(index, tensor) for index, tensor, _ in results if tensor is not None]
                failed = [(index, reason) for index, _, reason in results if reason is not None]
                stacked = torch.stack([tensor for _, tensor in good]) if good else None
                yield [index for index, _ in good], failed, stacked
            pending = upcoming


def sample_photo_ids(library: "Library", sample: int, seed: int = 0) -> list[int]:
    """Up to ``sample`` ids of indexed photos, drawn at random (fixed seed: repeatable), sorted."""
    ids = library.photo_ids()
    if not ids:
        raise LibraryError("No photos are indexed yet: add a folder and run `photo-organizer index` first.")
    return sorted(random.Random(seed).sample(ids, min(sample, len(ids))))


def sample_photo_paths(library: "Library", sample: int, seed: int = 0) -> list[str]:
    """The paths of ``sample_photo_ids``."""
    return [path_from_db(record.path) for record in library.photos(sample_photo_ids(library, sample, seed))]


def calibrate_job(
    library: "Library",
    load_encoder: Callable[[], Any],
    *,
    source: str = "v",
    sample: int = DEFAULT_SAMPLE,
    method: str = "gmm",
    seed: int = 0,
    batch_size: int = PASS_BATCH_SIZE[DINO],  # the DINOv2 pass's batches: the same arithmetic
) -> Job[Calibration]:
    """Measure the last block's patch-token norms on sampled photos, find θ, store it.

    ``load_encoder()`` gives the DinoEncoder to measure (``.model`` the timm ViT, ``.spec.name``,
    ``.preprocess``); it is called after the sample is drawn, so an empty library fails at once.
    On success ITAE is enabled with the new θ (DINOv2 features re-embed under the new model
    key); when the norms are not bimodal θ is cleared and ITAE stays a no-op.
    """
    if source not in SOURCES:
        raise ModelError(f"ITAE source must be one of {', '.join(SOURCES)}, not {source!r}.")
    paths = sample_photo_paths(library, sample, seed)
    yield Progress("itae-calibrate", 0, len(paths), "loading model")
    encoder = load_encoder()
    norms, photos, failed = [], 0, 0
    meter = RateMeter(len(paths))
    with recording_norms(encoder.model, source) as recorded:
        for indices, unreadable, batch in preprocessed_batches(paths, encoder.preprocess, encoder.input_size, batch_size):
            failed += len(unreadable)
            if batch is not None:
                recorded.clear()
                encoder.encode_images(batch)
                norms.append(recorded[0].numpy())
                photos += len(indices)
            done = photos + failed
            yield Progress("itae-calibrate", done, len(paths), rate=meter.rate(done))
    if not norms:
        raise ImageLoadError("None of the sampled photos could be read; see `photo-organizer status`.")
    return store_calibration(library, encoder, source, norms, photos, failed, method=method, seed=seed)


def store_calibration(
    library: "Library",
    encoder: Any,
    source: str,
    norms: list[np.ndarray],
    photos: int,
    failed: int,
    *,
    method: str = "gmm",
    seed: int = 0,
) -> Calibration:
    """Find θ in the sampled norms (one array per batch) of ``encoder``'s model and store it."""
    sampled = np.concatenate(norms).ravel()
    valley = find_valley(sampled, method=method, seed=seed)
    settings = _calibrated_settings(library, encoder, source, valley)
    calibration = Calibration(encoder.spec.name, source, photos, failed, valley, settings, sampled)
    with library.transaction():
        save_settings(library, settings)
        library.set_setting(CALIBRATION_SETTING, calibration.as_dict())
    return calibration


def calibrate_library(library: "Library", models: "ModelProvider", **options: Any) -> Job[Calibration]:
    """Calibrate the library's active DINOv2 model (``itae calibrate`` and the window's
    "Calibrate on my photos"); ``options`` are those of ``calibrate_job``."""
    return (yield from calibrate_job(library, lambda: models.dino(library), **options))


def _calibrated_settings(library: "Library", encoder: Any, source: str, valley: Valley) -> ITAESettings:
    current = load_settings(library)
    return ITAESettings(
        enabled=True if valley.bimodal else current.enabled,
        source=source,
        threshold=valley.threshold,
        num_prefix_tokens=int(getattr(encoder.model, "num_prefix_tokens", 1)),
        calibrated_for=encoder.spec.name,
    )


def describe(calibration: Calibration) -> str:
    """The calibration summary printed by ``itae calibrate``."""
    valley = calibration.valley
    lines = [
        f"model {calibration.model}, source {calibration.source}, {calibration.photos} photos "
        f"({valley.tokens} patch tokens){f', {calibration.failed} unreadable' if calibration.failed else ''}",
        f"modes of the token norms: low {valley.low_mode:.4g} ({valley.low_weight:.1%} of tokens), "
        f"high {valley.high_mode:.4g}; Ashman's D {valley.ashman_d:.2f}, dip ratio {valley.dip_ratio:.2f}",
        f"valley: mixture {valley.gmm_threshold:.5g}, Otsu {valley.otsu_threshold:.5g} ({valley.method} used)",
    ]
    if valley.bimodal:
        lines.append(
            f"θ = {valley.threshold:.5g}: {valley.fraction_flagged:.2%} of patch tokens flagged as artifacts. "
            f"ITAE is on; DINOv2 features re-embed under the new model key."
        )
    else:
        lines.append(f"{valley.reason}. θ cleared: ITAE stays a no-op for this model.")
    return "\n".join(lines)


def verdict(calibration: Calibration) -> str:
    """What the calibration found, in one line for the window's status bar."""
    valley = calibration.valley
    measured = f"{calibration.photos:,} photos of {calibration.model} measured"
    if not valley.bimodal:
        return f"Not bimodal: ITAE stays off ({measured}; {valley.reason})."
    return (
        f"Threshold {valley.threshold:.4g}: {valley.fraction_flagged:.2%} of {valley.tokens:,} tokens flagged "
        f"as artifacts; ITAE is on ({measured}). The next indexing re-computes the album features."
    )


# ---- inspecting one photo ------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    view: "Image.Image"  # what the model saw: the preprocessed crop, de-normalised
    norms: np.ndarray  # (rows, cols) patch-token norms of the last block
    threshold: float | None
    source: str

    @property
    def flagged(self) -> np.ndarray:
        if self.threshold is None:
            return np.zeros(self.norms.shape, dtype=bool)
        return self.norms <= self.threshold


def inspect_photo(encoder: Any, path: str | Path, source: str, threshold: float | None) -> Inspection:
    """The last block's patch-token norms of one photo, on the patch grid, with the view."""
    from photo_organizer.models.itae import last_block_norms

    tensor = encoder.preprocess(load_rgb(path, min_side=encoder.input_size))
    batch = tensor.unsqueeze(0).to(encoder.device, encoder.dtype)
    norms = last_block_norms(encoder.model, batch, source=source)[0].numpy()
    rows, cols = encoder.model.patch_embed.grid_size
    return Inspection(_denormalised(tensor, encoder.model.pretrained_cfg), norms.reshape(rows, cols), threshold, source)


def _denormalised(tensor: Any, config: dict[str, Any]) -> "Image.Image":
    from PIL import Image


    mean = np.asarray(config["mean"], dtype=np.float32)[:, None, None]
    std = np.asarray(config["std"], dtype=np.float32)[:, None, None]
    pixels = (tensor.float().cpu().numpy() * std + mean).clip(0, 1) * 255
    return Image.fromarray(pixels.round().astype(np.uint8).transpose(1, 2, 0))
