"""Benchmark: album clustering of 10,000 and 100,000 synthetic 768-d embeddings.

    python benchmarks/bench_albums.py                      # 10,000 and 100,000
    python benchmarks/bench_albums.py --sizes 10000 --job  # also the whole `albums recluster` job

The embeddings have cluster structure: about sqrt(n)/2 unit centres with Pareto-distributed
cluster sizes, each photo its centre plus Gaussian noise (offset norm ``--spread``), and 10% of
the photos uniform on the sphere (belonging to nothing). Targets on the 2-core development
machine: 10,000 in under 5 s, 100,000 in under 60 s.

Printed per size (imports of hdbscan, scikit-learn and scipy are done first and timed apart:
a process pays them once): the wall time of ``cluster_features`` (PCA + HDBSCAN + attaching the photos
outside the fitted sample) with the PCA part on its own, the process CPU time (the machine is
shared, so wall time includes waiting for the CPU; the load average is printed too), the number
of clusters found against the truth, the share left in Unsorted, and the adjusted Rand index
against the true clusters (noise counted as its own label, and on the clustered photos only).
With ``--job``, the full re-cluster job through the database (load features, cluster, match,
write albums) on an in-memory library.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from photo_organizer.albums.clustering import ClusteringParams, cluster_features, reduce_features  # noqa: E402


def synthetic_library(n: int, dim: int, spread: float, noise_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = max(10, int(n**0.5 / 2))
    centres = rng.standard_normal((k, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = rng.pareto(1.5, k) + 1.0
    n_noise = int(n * noise_share)
    labels = rng.choice(k, n - n_noise, p=weights / weights.sum())
    points = centres[labels] + spread * rng.standard_normal((n - n_noise, dim)).astype(np.float32) / np.sqrt(dim)
    noise = rng.standard_normal((n_noise, dim)).astype(np.float32)
    features = np.vstack([points, noise])
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    order = rng.permutation(n)  # photo order must not reveal the clusters
    return features[order], np.concatenate([labels, -np.ones(n_noise, dtype=np.int64)])[order]


def bench_clustering(features: np.ndarray, truth: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score

    params = ClusteringParams.for_library(len(features))
    started = time.perf_counter()
    reduce_features(features, params.reduced_dims, params.seed)
    pca_seconds = time.perf_counter() - started
    cpu, wall = time.process_time(), time.perf_counter()
    result = cluster_features(features, params)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    clustered = truth >= 0
    return {
        "seconds": wall,
        "cpu_seconds": cpu,
        "pca_seconds": pca_seconds,
        "fitted_on": result.fitted_on,
        "min_cluster_size": params.min_cluster_size,
        "clusters": result.n_clusters,
        "true_clusters": len(np.unique(truth[clustered])),
        "unsorted": float((result.labels < 0).mean()),
        "true_noise": float((~clustered).mean()),
        "ari_all": adjusted_rand_score(truth, result.labels),
        "ari_clustered": adjusted_rand_score(truth[clustered], result.labels[clustered]),
    }


def bench_job(features: np.ndarray) -> float:
    from photo_organizer.albums.recluster import recluster_job
    from photo_organizer.progress import drain
    from photo_organizer.storage import OK, Library

    key = "dino:bench:synthetic:224px"
    library = Library.in_memory()
    with library.transaction():
        library.db["photos"].insert_all(
            ({"id": i + 1, "path": f"/bench/{i}.jpg", "state": OK} for i in range(len(features))), batch_size=5000
        )
    library.put_embeddings(key, list(range(1, len(features) + 1)), features)
    started = time.perf_counter()
    report = drain(recluster_job(library, key))
    seconds = time.perf_counter() - started
    library.close()
    print(f"  recluster job (database in memory): {seconds:.2f} s, {report.albums} albums, {report.unsorted} unsorted")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--spread", type=float, default=0.9, help="norm of a photo's offset from its unit centre")
    parser.add_argument("--noise", type=float, default=0.1, help="share of photos belonging to no cluster")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--job", action="store_true", help="also time the whole re-cluster job through the database")
    args = parser.parse_args()
    targets = {10_000: 5.0, 100_000: 60.0}
    started = time.perf_counter()
    import hdbscan  # noqa: F401 - paid once per process (with sklearn and scipy), not per clustering
    import scipy.linalg  # noqa: F401

    print(
        f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}; "
        f"importing hdbscan/sklearn/scipy took {time.perf_counter() - started:.2f} s (not counted below)"
    )
    for n in args.sizes:
        features, truth = synthetic_library(n, args.dim, args.spread, args.noise, args.seed)
        figures = bench_clustering(features, truth)
        target = targets.get(n)
        met = target is not None and figures["seconds"] < target
        verdict = "" if target is None else f" (target < {target:.0f} s: {'met' if met else 'MISSED'})"
        print(
            f"n={n:>7} dim={args.dim}: {figures['seconds']:.2f} s wall{verdict}, {figures['cpu_seconds']:.2f} s CPU, "
            f"PCA {figures['pca_seconds']:.2f} s; HDBSCAN fitted on {figures['fitted_on']} "
            f"(min cluster size {figures['min_cluster_size']}); clusters {figures['clusters']} "
            f"(true {figures['true_clusters']}); unsorted {figures['unsorted']:.1%} "
            f"(true noise {figures['true_noise']:.0%}); "
            f"ARI {figures['ari_all']:.3f} all, {figures['ari_clustered']:.3f} on clustered photos; "
            f"load average now {os.getloadavg()[0]:.2f}"
        )
        if args.job:
            bench_job(features)


if __name__ == "__main__":
    main()
