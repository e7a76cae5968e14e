"""Features -> album clusters: PCA to a few dozen dimensions, then HDBSCAN.

Why this shape:

* HDBSCAN on raw 768-d features is far too slow (GUIDE section 4: minutes for 10,000 photos);
  after PCA to 32 dimensions it is seconds. The features are L2-normalised before PCA and the
  projections again after it, so Euclidean distance in the reduced space ranks like cosine.
* Parameters scale with the library: the smallest album grows like sqrt(n) (8 photos at 1,000,
  25 at 10,000, 79 at 100,000), times the user's granularity factor; min_samples equals it.
* HDBSCAN's cost grows about quadratically in 32 dimensions (the space trees no longer prune),
  so libraries larger than ``FIT_SAMPLE_CAP`` are clustered on a fixed-seed sample and the
  other photos are attached exactly as ``hdbscan.approximate_predict`` would attach them
  (nearest neighbour in mutual reachability, then the condensed tree decides cluster or noise),
  with the neighbour search done as blocked matrix products instead of per-point tree queries.
* Label -1 is noise: those photos go to "Unsorted".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from photo_organizer.errors import LibraryError

GRANULARITY_SETTING = "albums.granularity"
# Factor on the smallest album size: "fewer" gives fewer, larger albums.
GRANULARITY_FACTORS = {"fewer": 2.0, "normal": 1.0, "more": 0.5}
DEFAULT_GRANULARITY = "normal"

REDUCED_DIMS = 32
# Up to FIT_SAMPLE_CAP photos HDBSCAN sees them all; above, it fits that many and attaches the
# others. Measured here on synthetic 768-d libraries: 10,000 photos took 3.3 s of CPU fitted
# whole, 1.8 s as 6,000 + 4,000 attached (ARI 0.987 vs 0.982); at 100,000 a sample of 6,000 or
# 8,000 gave the same ARI (0.957 / 0.958 on the clustered photos) in 9.2 s vs 12.5 s.
FIT_SAMPLE_CAP = 6_000
PCA_SAMPLE_CAP = 20_000
SMALLEST_ALBUM = 5
COVER_COUNT = 4
_BLOCK_ROWS = 2048


@dataclass(frozen=True)
class ClusteringParams:
    min_cluster_size: int
    min_samples: int
    reduced_dims: int = REDUCED_DIMS
    fit_sample_cap: int = FIT_SAMPLE_CAP
    seed: int = 0

    @classmethod
    def for_library(
        cls, n_photos: int, granularity: str = DEFAULT_GRANULARITY, **overrides: object
    ) -> "ClusteringParams":
        factor = granularity_factor(granularity)
        min_cluster_size = max(SMALLEST_ALBUM, round(math.sqrt(max(n_photos, 1)) / 4 * factor))
        # min_samples = min_cluster_size (hdbscan's default) is the conservative choice: fewer
        # stray photos pulled into albums (lower values let noise leak in, measured on
        # synthetic data), at no noticeable cost in time.
        size = min_cluster_size
        return cls(min_cluster_size=size, min_samples=size, **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ClusteringResult:
    labels: np.ndarray  # (n,) int, -1 = noise ("Unsorted")
    strengths: np.ndarray  # (n,) float in [0, 1], HDBSCAN membership probability
    n_clusters: int
    fitted_on: int  # photos HDBSCAN itself saw; the rest were attached to its clusters


def granularity_factor(granularity: str) -> float:
    try:
        return GRANULARITY_FACTORS[granularity]
    except KeyError:
        choices = ", ".join(GRANULARITY_FACTORS)
        raise LibraryError(f"Unknown album granularity {granularity!r}; choose one of: {choices}.") from None


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def principal_axes(features: np.ndarray, dims: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean, (d, dims) orthonormal axes) of the features' leading principal components.

    From the d x d covariance of at most ``PCA_SAMPLE_CAP`` rows, solving only for the top
    ``dims`` eigenvectors: deterministic, and cheaper than an SVD of the data. The small
    eigenproblem runs on one BLAS thread: more threads only wait on each other at this size
    (1.4 s instead of 0.03 s of CPU time for d = 768 on the development machine).
    """
    from scipy.linalg import eigh
    from threadpoolctl import threadpool_limits

    n, d = features.shape
    rows = features
    if n > PCA_SAMPLE_CAP:
        rows = features[np.random.default_rng(seed).choice(n, PCA_SAMPLE_CAP, replace=False)]
    mean = rows.mean(axis=0)
    centred = np.asarray(rows - mean, dtype=np.float32)
    covariance = (centred.T @ centred).astype(np.float64)  # float32 product: 2x faster, ample here
    with threadpool_limits(1):
        _values, vectors = eigh(covariance, subset_by_index=[d - dims, d - 1])
    return mean.astype(np.float32), vectors[:, ::-1].astype(np.float32)  # largest first


def reduce_features(features: np.ndarray, dims: int = REDUCED_DIMS, seed: int = 0) -> np.ndarray:
    """L2-normalise, project on the leading ``dims`` principal axes, L2-normalise again."""
    unit = normalise_rows(features)
    if unit.shape[1] <= dims or unit.shape[0] <= dims:
        return unit
    mean, axes = principal_axes(unit, dims, seed)
    return normalise_rows((unit - mean) @ axes)


def cluster_features(features: np.ndarray, params: ClusteringParams) -> ClusteringResult:
    """Cluster (n, d) features; ``labels[i] == -1`` means photo i belongs to no album."""
    n = features.shape[0]
    if n < 2 * params.min_cluster_size:
        return ClusteringResult(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float32), 0, 0)
    reduced = reduce_features(features, params.reduced_dims, params.seed).astype(np.float64)
    if n <= params.fit_sample_cap:
        return _fit_all(reduced, params)
    return _fit_sample_and_attach(reduced, params)


def _hdbscan(reduced: np.ndarray, min_cluster_size: int, min_samples: int):  # noqa: ANN202
    import hdbscan

    return hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min(min_samples, reduced.shape[0] - 1),
        # Prim's algorithm beats Boruvka in 32 dimensions, where the kd-tree barely prunes.
        algorithm="prims_kdtree",
        core_dist_n_jobs=1,
    ).fit(reduced)


def _fit_all(reduced: np.ndarray, params: ClusteringParams) -> ClusteringResult:
    model = _hdbscan(reduced, params.min_cluster_size, params.min_samples)
    labels = model.labels_.astype(np.int64)
    strengths = np.where(labels >= 0, model.probabilities_, 0.0).astype(np.float32)
    return ClusteringResult(labels, strengths, int(labels.max() + 1), reduced.shape[0])


def _fit_sample_and_attach(reduced: np.ndarray, params: ClusteringParams) -> ClusteringResult:
    n = reduced.shape[0]
    sample = np.sort(np.random.default_rng(params.seed).choice(n, params.fit_sample_cap, replace=False))
    ratio = params.fit_sample_cap / n
    # The same albums in a sample hold proportionally fewer photos.
    min_cluster_size = max(SMALLEST_ALBUM, round(params.min_cluster_size * ratio))
    min_samples = max(2, round(params.min_samples * ratio))
    model = _hdbscan(reduced[sample], min_cluster_size, min_samples)
    labels = np.full(n, -1, dtype=np.int64)
    strengths = np.zeros(n, dtype=np.float32)
    labels[sample] = model.labels_
    strengths[sample] = np.where(model.labels_ >= 0, model.probabilities_, 0.0)
    rest = np.setdiff1d(np.arange(n), sample)
    n_clusters = int(model.labels_.max() + 1)
    if n_clusters > 0:
        rest_labels, rest_strengths = attach_to_clusters(reduced[sample], model, reduced[rest], min_samples)
        labels[rest] = rest_labels
        strengths[rest] = rest_strengths
    return ClusteringResult(labels, strengths, n_clusters, len(sample))


@dataclass(frozen=True)
class _ClusterLambdas:
    birth: np.ndarray  # (k,) lambda at which each selected cluster appeared
    peak: np.ndarray  # (k,) largest lambda seen inside it (for membership strength)


def _selected_cluster_lambdas(model, labels: np.ndarray) -> _ClusterLambdas:  # noqa: ANN001
    """Birth and peak lambda of each selected cluster, read from the condensed tree.

    The selected cluster of a label is the lowest common ancestor, in the condensed tree, of
    the tree nodes its member points fell out of.
    """
    tree = model.condensed_tree_.to_numpy()
    n_points = labels.shape[0]
    parent_of: dict[int, int] = {}
    birth_of: dict[int, float] = {}
    point_parent = np.empty(n_points, dtype=np.int64)
    peak_of: dict[int, float] = {}
    for parent, child, lambda_val, _size in tree.tolist():
        parent, child = int(parent), int(child)
        peak_of[parent] = max(peak_of.get(parent, 0.0), lambda_val)
        if child < n_points:
            point_parent[child] = parent
        else:
            parent_of[child] = parent
            birth_of[child] = lambda_val

    def ancestors(node: int) -> list[int]:
        chain = [node]
        while chain[-1] in parent_of:
            chain.append(parent_of[chain[-1]])
        return chain

    k = int(labels.max() + 1)
    births = np.zeros(k)
    peaks = np.ones(k)
    for label in range(k):
        nodes = set(point_parent[labels == label].tolist())
        common = set(ancestors(nodes.pop()))
        for node in nodes:
            common &= set(ancestors(node))
        selected = max(common)  # node ids grow downwards: the deepest common ancestor
        births[label] = birth_of.get(selected, 0.0)
        peaks[label] = peak_of.get(selected, 1.0) or 1.0
    return _ClusterLambdas(births, peaks)


def _nearest_neighbours(queries: np.ndarray, points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices) of the k nearest ``points`` to each query, ascending: float32
    distance blocks by matrix product, then the k smallest of each row."""
    queries = np.asarray(queries, dtype=np.float32)
    points = np.asarray(points, dtype=np.float32)
    k = min(k, points.shape[0])
    point_sq = (points * points).sum(axis=1)
    all_dist = np.empty((queries.shape[0], k), dtype=np.float32)
    all_idx = np.empty((queries.shape[0], k), dtype=np.int64)
    for start in range(0, queries.shape[0], _BLOCK_ROWS):
        block = queries[start : start + _BLOCK_ROWS]
        squared = (block * block).sum(axis=1)[:, None] + point_sq[None, :] - 2.0 * (block @ points.T)
        idx, dist = _smallest(squared, k)
        all_idx[start : start + len(block)] = idx
        all_dist[start : start + len(block)] = dist
    return np.sqrt(np.maximum(all_dist, 0.0)), all_idx


def _smallest(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) of the k smallest entries of each row, ascending. Overwrites ``values``.

    k passes of ``argmin``: for the k used here (up to a few dozen) 3 to 20 times faster than
    ``argpartition`` on a 2048 x 8000 block (measured on this machine).
    """
    rows = np.arange(values.shape[0])
    idx = np.empty((values.shape[0], k), dtype=np.int64)
    found = np.empty((values.shape[0], k), dtype=values.dtype)
    for rank in range(k):
        nearest = values.argmin(axis=1)
        idx[:, rank] = nearest
        found[:, rank] = values[rows, nearest]
        values[rows, nearest] = np.inf
    return idx, found


def attach_to_clusters(
    fitted: np.ndarray, model, queries: np.ndarray, min_samples: int  # noqa: ANN001 - hdbscan.HDBSCAN
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and strengths of new points, by the rule of ``hdbscan.approximate_predict``.

    The new point's neighbour is its nearest fitted point in mutual reachability distance; it
    joins that neighbour's cluster if it would have been inside the cluster at its own density
    (its lambda = 1 / reachability exceeds the cluster's birth lambda), else it is noise.
    Vectorised: one matrix product per block instead of a tree query and a tree walk per point.
    """
    labels = model.labels_.astype(np.int64)
    lambdas = _selected_cluster_lambdas(model, labels)
    # Core distances as hdbscan defines them: distance to the min_samples-th point, itself included.
    core_dist, _ = _nearest_neighbours(fitted, fitted, min_samples)
    fitted_core = core_dist[:, -1]
    dist, idx = _nearest_neighbours(queries, fitted, 2 * min_samples)
    own_core = dist[:, min(min_samples, dist.shape[1] - 1)][:, None]
    reach = np.maximum(np.maximum(dist, fitted_core[idx]), own_core)
    best = np.argmin(reach, axis=1)
    neighbour = idx[np.arange(len(queries)), best]
    point_lambda = 1.0 / np.maximum(reach[np.arange(len(queries)), best], 1e-12)
    neighbour_label = labels[neighbour]
    safe_label = np.maximum(neighbour_label, 0)
    inside = (neighbour_label >= 0) & (point_lambda > lambdas.birth[safe_label])
    out_labels = np.where(inside, neighbour_label, -1)
    peak = lambdas.peak[safe_label]
    with np.errstate(invalid="ignore"):  # identical photos: infinite lambdas, full strength
        strengths = np.where(inside, np.nan_to_num(np.minimum(point_lambda, peak) / peak, nan=1.0), 0.0)
    return out_labels, strengths.astype(np.float32)


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster's members with what the album table stores about them."""

    photo_ids: np.ndarray  # int64, most central first
    strengths: np.ndarray  # float32, same order
    centroid: np.ndarray  # unit vector in the original feature space
    cover_photo_ids: list[int]


def summarise_members(photo_ids: np.ndarray, unit_features: np.ndarray, strengths: np.ndarray) -> ClusterSummary:
    """Centroid (normalised mean) and members ordered by closeness to it; covers are the first."""
    centroid = unit_features.mean(axis=0)
    centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
    order = np.argsort(-(unit_features @ centroid), kind="stable")
    ordered_ids = np.asarray(photo_ids, dtype=np.int64)[order]
    return ClusterSummary(
        photo_ids=ordered_ids,
        strengths=np.asarray(strengths, dtype=np.float32)[order],
        centroid=centroid.astype(np.float32),
        cover_photo_ids=[int(i) for i in ordered_ids[:COVER_COUNT]],
    )


def summarise_clusters(photo_ids: np.ndarray, features: np.ndarray, result: ClusteringResult) -> list[ClusterSummary]:
    unit = normalise_rows(features)
    summaries = []
    for label in range(result.n_clusters):
        rows = np.flatnonzero(result.labels == label)
        if len(rows):
            summaries.append(summarise_members(photo_ids[rows], unit[rows], result.strengths[rows]))
    return summaries
