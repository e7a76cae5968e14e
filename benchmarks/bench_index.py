"""Benchmark: the embedding pass of indexing on camera-sized JPEGs.

    python benchmarks/bench_index.py --count 24 --workdir /tmp/bench-index

Prints, for the same models in the same run:
  * model-forward-only throughput (preprocessed tensors, no decoding) per model and combined;
  * end-to-end embedding throughput, CLIP first then DINOv2 (the default), and the time until
    every photo has its CLIP embedding (search works from then on);
  * the same with one decode feeding both models ("joint");
  * a naive sequential loop (full decode, preprocess, forward, one batch at a time);
  * the figure that matters: end-to-end / forward-only (target at least 0.9), and, robust to a
    shared machine's changing load, the share of each pass the model forward kept busy.

Without real weights (this machine cannot download them) the models run with random weights
(PHOTO_ORGANIZER_RANDOM_WEIGHTS): the architectures and therefore the timings are the real ones.
Photos are scanned (metadata + thumbnails) before the timings, which cover embeddings only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import make_tree  # noqa: E402

from photo_organizer import embedding  # noqa: E402
from photo_organizer.environment import RANDOM_WEIGHTS_ENV, model_options_from_environment  # noqa: E402
from photo_organizer.home import DataHome  # noqa: E402
from photo_organizer.indexer import index_library  # noqa: E402
from photo_organizer.models import registry  # noqa: E402
from photo_organizer.models.provider import ModelProvider  # noqa: E402
from photo_organizer.progress import drain  # noqa: E402
from photo_organizer.storage import Library, iter_chunks  # noqa: E402
from photo_organizer.thumbnails import ThumbnailCache  # noqa: E402


def forward_only_rate(encoder, count: int, batch_size: int) -> float:
    """Photos/s of the model alone on ready-made inputs (same batch sizes as a pass)."""
    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(0).integers(0, 256, (encoder.input_size, encoder.input_size, 3), dtype=np.uint8)
    batch = encoder.batch([encoder.preprocess(Image.fromarray(noise))] * batch_size)
    for shape in {len(chunk) for chunk in iter_chunks(range(count), batch_size)}:
        encoder.encode_images(batch[:shape])  # first call per batch shape is slow (kernel setup)
    started = time.perf_counter()
    for chunk in iter_chunks(range(count), batch_size):
        encoder.encode_images(batch[: len(chunk)])
    return count / (time.perf_counter() - started)


def naive_loop_rate(encoders, paths: list[str], batch_size: int) -> float:
    """What a first attempt does: full decode, preprocess, forward, one batch after another."""
    from PIL import Image

    started = time.perf_counter()
    for chunk in iter_chunks(paths, batch_size):
        images = [Image.open(path).convert("RGB") for path in chunk]
        for encoder in encoders:
            encoder.encode_images(encoder.batch([encoder.preprocess(image) for image in images]))
    return len(paths) / (time.perf_counter() - started)


def combined(rates: list[float]) -> float:
    """Photos/s when every photo goes through every model one after the other."""
    return 1.0 / sum(1.0 / rate for rate in rates)


def run_strategy(library: Library, models: ModelProvider, strategy: str, batch_size: int, workers: int | None):
    library.db.execute("DELETE FROM embeddings")
    library.db.conn.commit()
    return drain(embedding.embed_library(library, models, strategy=strategy, batch_size=batch_size, workers=workers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-index"))
    parser.add_argument("--clip", default=registry.DEFAULT_MODELS["clip"])
    parser.add_argument("--dino", default=registry.DEFAULT_MODELS["dino"])
    parser.add_argument("--batch-size", type=int, default=None, help="default: each pass's own (embedding.pass_batch_size)")
    parser.add_argument("--workers", type=int, default=None, help="decode threads (default: pipeline's choice)")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--clip-only", action="store_true", help="measure the CLIP pass alone (DINOv2 off)")
    parser.add_argument("--distinct", type=int, default=None, help="distinct photos; the rest are copies")
    parser.add_argument(
        "--torch-clip", action="store_true",
        help="do not prepare the search model: the CLIP pass runs on torch instead of its ONNX export",
    )
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    photos, home_dir = args.workdir / "photos", args.workdir / "home"
    if not photos.is_dir() or sum(1 for _ in photos.rglob("*.jpg")) != args.count:
        shutil.rmtree(args.workdir, ignore_errors=True)
        started = time.perf_counter()
        make_tree(photos, args.count, size, distinct=args.distinct or args.count)
        print(f"generated {args.count} JPEGs {size[0]}x{size[1]} in {time.perf_counter() - started:.1f}s")
    shutil.rmtree(home_dir, ignore_errors=True)
    home = DataHome.open(home_dir)
    # random weights unless the environment says otherwise: the timings are the real architectures'
    models = ModelProvider(home, model_options_from_environment({RANDOM_WEIGHTS_ENV: "1", **os.environ}))
    library = Library(home.database_path)
    registry.set_active_model(library, args.clip)
    registry.set_active_model(library, args.dino)
    if args.clip_only:
        registry.disable_role(library, "dino")
    library.add_root(photos)
    thumbnails = ThumbnailCache(home.thumbnails_path)
    drain(index_library(library, thumbnails))
    thumbnails.close()
    paths = [row["path"] for row in library.query("SELECT path FROM photos ORDER BY id")]

    if not args.torch_clip:  # as installing the weights does: the CLIP pass runs on the export
        from photo_organizer.pipeline import prepare_models

        started = time.perf_counter()
        prepare_models(library, models)
        models.release()
        print(f"search model prepared (ONNX export, once per model) in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    encoders = {role: embedding.pass_encoder(library, models, role) for role in registry.enabled_roles(library)}
    print(f"pass encoders loaded in {time.perf_counter() - started:.1f}s: "
          + ", ".join(f"{role} {type(encoder).__name__} ({encoder.model_key})" for role, encoder in encoders.items())
          + f"; {os.cpu_count()} cores, batch {args.batch_size or 'per pass'}, random weights: {models.options.random_weights}")

    def batch_of(roles) -> int:
        return args.batch_size or embedding.pass_batch_size(list(roles))

    forward = {role: forward_only_rate(encoder, args.count, batch_of([role])) for role, encoder in encoders.items()}
    reports = {strategy: run_strategy(library, models, strategy, args.batch_size, args.workers)
               for strategy in ((embedding.CLIP_FIRST,) if args.clip_only else embedding.STRATEGIES)}
    for role, encoder in encoders.items():  # measured again after: the best of both (shared, noisy machines)
        forward[role] = max(forward[role], forward_only_rate(encoder, args.count, batch_of([role])))
    forward_both = combined(list(forward.values()))
    print("forward only (best of before and after): "
          + ", ".join(f"{role} {rate:.2f}/s" for role, rate in forward.items())
          + f", all {forward_both:.2f} photos/s")

    for strategy, report in reports.items():
        rate = args.count / report.seconds
        busy = sum(one.model_seconds for one in report.passes) / sum(one.seconds for one in report.passes)
        print(f"\n{strategy}: {rate:.2f} photos/s end to end, ratio to forward-only {rate / forward_both:.2f}; "
              + "".join(f"every photo has {role} after {report.time_until_complete(role):.1f}s, " for role in encoders)
              + f"model forward busy {busy:.0%}")
        for one in report.passes:
            models = one.stage.split("+")
            alone = combined([forward[m] for m in models])
            print(f"  pass {one.stage}: {one.rate:.2f} photos/s (forward-only {alone:.2f}, "
                  f"ratio {one.rate / alone:.2f}); model forward busy {one.model_seconds / one.seconds:.0%} "
                  f"of the pass; {len(one.failed)} failed")

    if not args.skip_naive:
        rate = naive_loop_rate(list(encoders.values()), paths, batch_of(encoders))
        print(f"\nnaive sequential loop: {rate:.2f} photos/s, ratio to forward-only {rate / forward_both:.2f}; "
              f"CLIP complete only at the end ({args.count / rate:.1f}s)")
    library.close()


if __name__ == "__main__":
    main()
