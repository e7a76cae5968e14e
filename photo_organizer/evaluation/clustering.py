"""`eval clustering`: DINOv2 features with and without ITAE, clustered and scored against labels.

The protocol of the ITAE paper: embed every image (CLS token after the final norm,
L2-normalised), run k-means with k = number of classes on several seeds (mean and spread),
and score ACC (Hungarian), NMI and ARI. The automatic albums' own clustering (PCA, then
HDBSCAN with the parameters a library of this size gets) is scored too: it chooses its own
number of clusters and leaves noise, which counts as wrong.

θ for the ITAE run is either given or found on this folder's own last-block norms (recorded
during the baseline pass, so it costs nothing extra); when the norms are not bimodal ITAE is
a no-op and its scores are the baseline's (no second pass).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from photo_organizer.errors import ImageLoadError
from photo_organizer.evaluation.datasets import LabelledImages
from photo_organizer.evaluation.metrics import ClusteringScores, clustering_scores
from photo_organizer.itae_calibration import Valley, find_valley, preprocessed_batches
from photo_organizer.models.itae import ITAESettings, recording_norms
from photo_organizer.progress import Job, Progress, RateMeter

DEFAULT_SEEDS = 5

if TYPE_CHECKING:
    from photo_organizer.albums.clustering import ClusteringParams

EncoderFactory = Callable[[ITAESettings], Any]  # a DinoEncoder with these ITAE settings


@dataclass(frozen=True)
class VariantScores:
    kmeans: list[ClusteringScores]  # one per seed
    hdbscan: ClusteringScores
    hdbscan_clusters: int
    hdbscan_noise: float  # fraction of images HDBSCAN left unclustered

    def kmeans_mean(self) -> dict[str, float]:
        return {name: float(np.mean([getattr(s, name) for s in self.kmeans])) for name in ("acc", "nmi", "ari")}

    def kmeans_std(self) -> dict[str, float]:
        """Population standard deviation over seeds (0 for a single seed)."""
        return {name: float(np.std([getattr(s, name) for s in self.kmeans])) for name in ("acc", "nmi", "ari")}

    def as_dict(self) -> dict[str, Any]:
        return {
            "kmeans_mean": self.kmeans_mean(),
            "kmeans_std": self.kmeans_std(),
            "kmeans_per_seed": [scores.as_dict() for scores in self.kmeans],
            "hdbscan": self.hdbscan.as_dict(),
            "hdbscan_clusters": self.hdbscan_clusters,
            "hdbscan_noise": self.hdbscan_noise,
        }


@dataclass(frozen=True)
class ClusteringEvaluation:
    root: str
    model: str
    images: int
    class_names: list[str]
    seeds: int
    min_cluster_size: int
    itae: ITAESettings  # the settings of the ITAE run
    threshold_origin: str  # "this folder's valley" or "given"
    valley: Valley | None  # when θ was found on this folder
    fraction_flagged: float  # of this folder's patch tokens, at or below θ
    baseline: VariantScores
    with_itae: VariantScores
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "model": self.model,
            "images": self.images,
            "classes": len(self.class_names),
            "class_names": self.class_names,
            "seeds": self.seeds,
            "min_cluster_size": self.min_cluster_size,
            "itae": {
                **self.itae.to_setting(),
                "active": self.itae.active,
                "threshold_origin": self.threshold_origin,
                "fraction_flagged": self.fraction_flagged,
                "valley": asdict(self.valley) if self.valley else None,
            },
            "baseline": self.baseline.as_dict(),
            "with_itae": self.with_itae.as_dict(),
            "unreadable": [{"path": path, "reason": reason} for path, reason in self.unreadable],
        }


def evaluate_clustering_job(
    dataset: LabelledImages,
    encoder_for: EncoderFactory,
    *,
    source: str = "v",
    threshold: float | None = None,
    method: str = "gmm",
    seeds: int = DEFAULT_SEEDS,
    min_cluster_size: int | None = None,
    batch_size: int = 32,
) -> Job[ClusteringEvaluation]:
    """Embed ``dataset`` without and with ITAE, cluster both, score both.

    ``threshold`` None: θ is the valley of this folder's own norms (``method``).
    """
    baseline_encoder = encoder_for(ITAESettings())
    features, norms, kept, unreadable = yield from _embed(dataset, baseline_encoder, "baseline", source, batch_size)
    if len(kept) == 0:
        raise ImageLoadError(f"None of the images in {dataset.root} could be read.")
    dataset = dataset.subset(kept)
    valley = None
    if threshold is None:
        valley = find_valley(norms, method=method)
        threshold = valley.threshold
    settings = ITAESettings(
        enabled=True,
        source=source,
        threshold=threshold,
        num_prefix_tokens=int(getattr(baseline_encoder.model, "num_prefix_tokens", 1)),
        calibrated_for=baseline_encoder.spec.name,
    )
    itae_features = features
    if settings.active:
        itae_features, _, itae_kept, _ = yield from _embed(dataset, encoder_for(settings), "itae", None, batch_size)
        if len(itae_kept) != len(dataset):
            raise ImageLoadError("Some images could be read in the baseline pass but not in the ITAE pass.")
    classes = len(dataset.class_names)
    params = album_params(len(dataset), min_cluster_size)
    yield Progress("clustering", 0, 2)
    baseline = score_features(features, dataset.labels, classes, seeds, params)
    yield Progress("clustering", 1, 2)
    with_itae = baseline if itae_features is features else score_features(
        itae_features, dataset.labels, classes, seeds, params
    )
    yield Progress("clustering", 2, 2)
    return ClusteringEvaluation(
        root=str(dataset.root),
        model=baseline_encoder.spec.name,
        images=len(dataset),
        class_names=dataset.class_names,
        seeds=seeds,
        min_cluster_size=params.min_cluster_size,
        itae=settings,
        threshold_origin="this folder's valley" if valley is not None else "given",
        valley=valley,
        fraction_flagged=float(np.mean(norms <= threshold)) if settings.active else 0.0,
        baseline=baseline,
        with_itae=with_itae,
        unreadable=unreadable,
    )


def _embed(
    dataset: LabelledImages, encoder: Any, stage: str, norm_source: str | None, batch_size: int
) -> Job[tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, str]]]]:
    """(features, patch-token norms or empty, indices of readable images, unreadable)."""
    paths = [str(path) for path in dataset.paths]
    features: list[np.ndarray] = []
    norms: list[np.ndarray] = []
    kept: list[int] = []
    unreadable: list[tuple[str, str]] = []
    meter = RateMeter(len(paths))
    yield Progress(stage, 0, len(paths))
    recorder = recording_norms(encoder.model, norm_source) if norm_source else nullcontext([])
    with recorder as recorded:
        for indices, failed, batch in preprocessed_batches(paths, encoder.preprocess, encoder.input_size, batch_size):
            unreadable += [(paths[index], reason) for index, reason in failed]
            if batch is not None:
                recorded.clear()
                features.append(encoder.encode_images(batch))
                if norm_source is not None:
                    norms.append(recorded[0].numpy())
                kept += indices
            done = len(kept) + len(unreadable)
            yield Progress(stage, done, len(paths), f"{len(unreadable)} unreadable" if unreadable else "", meter.rate(done))
    stacked = np.concatenate(features) if features else np.zeros((0, encoder.dim), dtype=np.float32)
    all_norms = np.concatenate(norms).ravel() if norms else np.zeros(0, dtype=np.float32)
    return stacked, all_norms, np.asarray(kept, dtype=np.int64), unreadable


def album_params(images: int, min_cluster_size: int | None) -> "ClusteringParams":
    """The automatic albums' HDBSCAN parameters for this many photos, or a given cluster size."""
    from photo_organizer.albums.clustering import ClusteringParams

    if min_cluster_size is None:
        return ClusteringParams.for_library(images)
    return ClusteringParams(min_cluster_size=min_cluster_size, min_samples=min_cluster_size)


def score_features(
    features: np.ndarray, labels: np.ndarray, classes: int, seeds: int, params: "ClusteringParams"
) -> VariantScores:
    from photo_organizer.albums.clustering import cluster_features

    kmeans = [clustering_scores(labels, kmeans_labels(features, classes, seed)) for seed in range(seeds)]
    albums = cluster_features(features, params)
    return VariantScores(
        kmeans=kmeans,
        hdbscan=clustering_scores(labels, albums.labels),
        hdbscan_clusters=albums.n_clusters,
        hdbscan_noise=float(np.mean(albums.labels == -1)),
    )


def kmeans_labels(features: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=min(k, len(features)), n_init=10, random_state=seed).fit_predict(features)


def format_report(evaluation: ClusteringEvaluation) -> str:
    """The side-by-side table `eval clustering` prints."""
    itae = evaluation.itae
    lines = [
        f"DINOv2 {evaluation.model} on {evaluation.images} images in {len(evaluation.class_names)} classes "
        f"({evaluation.root})",
    ]
    if itae.active:
        lines.append(
            f"ITAE: source {itae.source}, θ = {itae.threshold:.5g} ({evaluation.threshold_origin}), "
            f"{evaluation.fraction_flagged:.2%} of patch tokens flagged"
        )
    else:
        reason = evaluation.valley.reason if evaluation.valley else "no finite θ given"
        lines.append(f"ITAE: a no-op on this folder ({reason}); its scores are the baseline's")
    if evaluation.unreadable:
        lines.append(f"{len(evaluation.unreadable)} unreadable images skipped")
    lines += ["", f"{'':22}{'baseline':>16}{'ITAE':>16}"]
    for name in ("acc", "nmi", "ari"):
        cells = [
            f"{variant.kmeans_mean()[name]:.3f} ± {variant.kmeans_std()[name]:.3f}"
            for variant in (evaluation.baseline, evaluation.with_itae)
        ]
        lines.append(f"{'k-means ' + name.upper():22}{cells[0]:>16}{cells[1]:>16}")
    for name in ("acc", "nmi", "ari"):
        cells = [f"{getattr(variant.hdbscan, name):.3f}" for variant in (evaluation.baseline, evaluation.with_itae)]
        lines.append(f"{'HDBSCAN ' + name.upper():22}{cells[0]:>16}{cells[1]:>16}")
    cells = [
        f"{variant.hdbscan_clusters} / {variant.hdbscan_noise:.1%}" for variant in (evaluation.baseline, evaluation.with_itae)
    ]
    lines.append(f"{'HDBSCAN clusters/noise':22}{cells[0]:>16}{cells[1]:>16}")
    lines.append(
        f"(k-means: k = {len(evaluation.class_names)}, {evaluation.seeds} seeds, mean ± std; "
        f"HDBSCAN: the albums' clustering, min cluster size {evaluation.min_cluster_size}, noise counts as wrong)"
    )
    return "\n".join(lines)
