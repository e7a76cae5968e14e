"""`photo-organizer eval feedback DIR` (registered by cli.evaluate).

Embeds a labelled folder (DIR/<class>/<images>) with the library's CLIP model (cached in the
data home), then runs the relevance-feedback protocol of ``evaluation.feedback``: every image
a query (or, with ``--text-queries``, "a photo of a <class>" per class), round 0 by cosine, a
simulated user marking the top ``--shown`` results, R@1 / R@5 / MAP@R per round and method,
with rated images kept and removed.
"""

from __future__ import annotations

import argparse

from photo_organizer.context import AppContext

DEFAULT_PROMPT = "a photo of a {}"


def register(subparsers: argparse._SubParsersAction) -> None:
    from photo_organizer.evaluation.feedback import DEFAULT_METHODS, PRESETS

    parser = subparsers.add_parser(
        "feedback",
        help="relevance feedback methods side by side on a labelled folder",
        description="Simulated-user evaluation of relevance feedback on DIR/<class>/<images>.",
    )
    parser.add_argument("folder", metavar="DIR", help="one sub-folder per class")
    parser.add_argument(
        "--methods", nargs="+", default=list(DEFAULT_METHODS), choices=list(PRESETS), metavar="NAME",
        help=f"methods to compare (default: {' '.join(DEFAULT_METHODS)}; also: "
        f"{' '.join(name for name in PRESETS if name not in DEFAULT_METHODS)})",
    )
    parser.add_argument("--shown", type=int, default=10, metavar="K", help="results the user marks per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="feedback rounds after the first ranking (default 3)")
    parser.add_argument("--queries", type=int, metavar="N", help="use N random images as queries (default: all)")
    parser.add_argument("--per-class", type=int, metavar="N", help="at most N images per class")
    parser.add_argument(
        "--text-queries", nargs="?", const=DEFAULT_PROMPT, metavar="TEMPLATE",
        help=f'query with one text per class instead of images (template, default "{DEFAULT_PROMPT}")',
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the query sample")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=eval_feedback_command)


def eval_feedback_command(args: argparse.Namespace, ctx: AppContext) -> int:
    import numpy as np

    from photo_organizer.errors import LibraryError
    from photo_organizer.evaluation.feedback import evaluate_feedback_job, format_report, methods_from_names
    from photo_organizer.progress import run_with_bar

    if args.shown < 1 or args.rounds < 0:
        raise LibraryError("--shown must be at least 1 and --rounds at least 0.")
    methods = methods_from_names(args.methods)
    quiet = args.quiet or args.json
    dataset, vectors, kept, unreadable, model_key = embed_labelled_folder(ctx, args.folder, args.per_class, quiet)
    labels = dataset.labels[kept]
    text_queries = None
    queries = None
    if args.text_queries:
        prompts = [args.text_queries.format(name.replace("_", " ")) for name in dataset.class_names]
        present = np.unique(labels)
        encoder = ctx.models.clip(ctx.library)
        text_queries = (encoder.encode_texts([prompts[i] for i in present]), present)
    elif args.queries is not None and args.queries < len(labels):
        queries = np.sort(np.random.default_rng(args.seed).choice(len(labels), args.queries, replace=False))
    evaluation = run_with_bar(
        evaluate_feedback_job(
            vectors, labels, methods, shown=args.shown, rounds=args.rounds, queries=queries, text_queries=text_queries
        ),
        quiet=quiet,
    )
    evaluation.unreadable = unreadable
    evaluation.model_key = model_key
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(evaluation.to_dict())
    else:
        print(format_report(evaluation))
    return 0


def embed_labelled_folder(ctx: AppContext, folder: str, per_class: int | None, quiet: bool) -> tuple:
    """(dataset, unit vectors, kept indices, unreadable files, model key): the labelled folder
    embedded with the library's CLIP model (cached in the data home)."""
    from photo_organizer.cli.models import warn_if_random_weights
    from photo_organizer.evaluation.datasets import read_labelled_folder
    from photo_organizer.evaluation.feedback import embed_folder_job
    from photo_organizer.models.registry import CLIP
    from photo_organizer.progress import run_with_bar

    warn_if_random_weights(ctx)
    dataset = read_labelled_folder(folder, limit_per_class=per_class)
    model_key = ctx.models.active_key(ctx.library, CLIP)
    if model_key is None:
        ctx.models.clip(ctx.library)  # raises the message that says how to install the weights
    vectors, kept, unreadable = run_with_bar(
        embed_folder_job(dataset.paths, model_key, lambda: ctx.models.clip(ctx.library), ctx.home.cache_dir / "eval"),
        quiet=quiet,
    )
    return dataset, vectors, kept, unreadable, model_key
