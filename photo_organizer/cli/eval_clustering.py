"""`photo-organizer eval clustering DIR`: DINOv2 with and without ITAE, k-means and HDBSCAN,
ACC / NMI / ARI side by side. DIR holds one sub-folder per class. ``--json`` prints
``ClusteringEvaluation.as_dict()`` (evaluation/clustering.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from photo_organizer.context import AppContext
from photo_organizer.errors import DatasetError
from photo_organizer.evaluation.clustering import DEFAULT_SEEDS
from photo_organizer.itae_calibration import METHODS
from photo_organizer.models.itae import SOURCES
from photo_organizer.models.registry import DEFAULT_MODELS, DINO, active_spec, get_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "clustering", help="cluster a labelled folder with DINOv2 features, with and without ITAE"
    )
    parser.add_argument("directory", type=Path, metavar="DIR", help="one sub-folder of images per class")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, metavar="N", help="k-means seeds (default 5)")
    parser.add_argument("--limit-per-class", type=int, metavar="N", help="use at most N images of each class")
    parser.add_argument("--model", metavar="NAME", help="DINOv2 model (default: the library's)")
    parser.add_argument("--source", choices=SOURCES, default="v", help="projection whose norms flag artifacts")
    parser.add_argument(
        "--threshold", default="auto", metavar="auto|θ", help="θ, or auto: the valley of this folder's norms"
    )
    parser.add_argument("--method", choices=METHODS, default="gmm", help="valley finder for --threshold auto")
    parser.add_argument(
        "--min-cluster-size", type=int, metavar="N", help="HDBSCAN (default: what albums use for this many photos)"
    )
    parser.add_argument("--batch-size", type=int, default=32, metavar="N")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(handler=clustering_command)


def _threshold(text: str) -> float | None:
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise DatasetError(f"--threshold must be 'auto' or a number, not {text!r}.") from None


def clustering_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.cli.models import warn_if_random_weights
    from photo_organizer.evaluation.clustering import evaluate_clustering_job, format_report
    from photo_organizer.evaluation.datasets import read_labelled_folder
    from photo_organizer.progress import run_with_bar

    if args.seeds < 1:
        raise DatasetError("--seeds must be at least 1.")
    warn_if_random_weights(ctx)
    threshold = _threshold(args.threshold)
    dataset = read_labelled_folder(args.directory, limit_per_class=args.limit_per_class)
    spec = get_spec(args.model) if args.model else active_spec(ctx.library, DINO) or get_spec(DEFAULT_MODELS[DINO])
    if spec.role != DINO:
        raise DatasetError(f"{spec.name} is not a DINOv2 model; see `photo-organizer models list`.")
    job = evaluate_clustering_job(
        dataset,
        lambda settings: ctx.models.dino(ctx.library, spec=spec, itae=settings),
        source=args.source,
        threshold=threshold,
        method=args.method,
        seeds=args.seeds,
        min_cluster_size=args.min_cluster_size,
        batch_size=args.batch_size,
    )
    evaluation = run_with_bar(job, quiet=args.quiet or args.json)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(evaluation.as_dict())
    else:
        print(format_report(evaluation))
    return 0
