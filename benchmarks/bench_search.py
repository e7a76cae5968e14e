"""Benchmark: search latency, text encoding, feedback re-rank, cold command line, methods.

    python benchmarks/bench_search.py                      # everything (several minutes)
    python benchmarks/bench_search.py --sizes 10000 100000 --skip-models
    python benchmarks/bench_search.py --only methods

Sections (``--only`` picks some):

* ``scoring``: query scoring (the index's einsum, and BLAS sgemv for comparison) + top-100
  over N synthetic 512-d unit vectors (10k, 100k, 1M), float32 in memory; next to it float16
  storage scored by numpy directly and by chunks converted to float32 (the alternative to
  the float32 matrix).
* ``rerank``: a feedback re-rank with 20 rated photos (10 liked, 10 disliked) per method,
  cold (all 20 similarity columns computed) and warm (10 columns cached from the round before,
  as in a session).
* ``engine``: the whole ``SearchEngine`` path on a real library database of N photos (index
  load; a search with a cached query vector; marking a photo, which computes its similarity
  column; a refine after 20 marks; a refine after 2 more).
* ``text``: CLIP ViT-B/32 text encoding (random weights: same cost as real ones): open_clip's
  ``encode_text`` (77 tokens), our query-length torch forward, the ONNX Runtime export;
  and a warm text search on 1,000 photos with each (the GUI's case).
* ``cli``: cold ``photo-organizer search TEXT`` processes on 1,000 photos: first run (torch,
  plus the one-time ONNX export), then ONNX, then a cached query; and ``import torch, open_clip``.
* ``methods``: the feedback protocol on synthetic embeddings with class structure (image and
  text queries): MAP@R per round for every method (see ``photo-organizer eval feedback``).

Figures depend on the machine's load: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photo_organizer.evaluation.synthetic import SyntheticSpec, labelled_embeddings, random_unit_matrix  # noqa: E402
from photo_organizer.search.feedback import FeedbackOptions, FeedbackProblem, rerank  # noqa: E402
from photo_organizer.search.index import top_k  # noqa: E402

SECTIONS = ("scoring", "rerank", "engine", "text", "cli", "methods")
RANDOM_ENV = {"PHOTO_ORGANIZER_RANDOM_WEIGHTS": "1"}


def median_ms(work: Callable[[], object], repeats: int) -> float:
    work()  # warm caches and BLAS threads
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


# ---- scoring and re-rank on bare matrices ----------------------------------------------------


def bench_scoring(sizes: list[int], repeats: int) -> None:
    from photo_organizer.search.index import EmbeddingIndex

    print(f"\n== scoring + top-100, 512-d ({load()}) ==")
    print(f"{'N':>9} {'einsum':>9} {'BLAS gemv':>10} {'top-100':>8} {'total':>8} {'f16 numpy':>10} {'f16->f32 chunks':>16}")
    for n in sizes:
        index = EmbeddingIndex(None, "bench")  # type: ignore[arg-type] - arrays set directly, no database
        index.matrix = matrix = random_unit_matrix(n, 512, seed=1)
        query = matrix[7].copy()
        scores = index.scores(query)
        score_ms = median_ms(lambda: index.scores(query), repeats)
        blas_ms = median_ms(lambda: matrix @ query, repeats)
        topk_ms = median_ms(lambda: top_k(scores, 100), repeats)
        total_ms = median_ms(lambda: top_k(index.scores(query), 100), repeats)
        half = matrix.astype(np.float16)
        half_query = query.astype(np.float16)
        few = max(1, repeats // 5)
        numpy_half_ms = median_ms(lambda: half @ half_query, few) if n <= 100_000 else float("nan")

        def chunked() -> np.ndarray:
            out = np.empty(n, dtype=np.float32)
            for start in range(0, n, 16384):
                out[start : start + 16384] = half[start : start + 16384].astype(np.float32) @ query
            return out

        chunked_ms = median_ms(chunked, few)
        print(f"{n:>9} {score_ms:>7.2f}ms {blas_ms:>8.2f}ms {topk_ms:>6.2f}ms {total_ms:>6.2f}ms "
              f"{numpy_half_ms:>8.1f}ms {chunked_ms:>14.1f}ms")
        del index, matrix, half


def bench_rerank(sizes: list[int], repeats: int) -> None:
    from photo_organizer.search.index import EmbeddingIndex

    print(f"\n== feedback re-rank, 20 rated photos (10 liked, 10 disliked) + top-100 ({load()}) ==")
    methods = {
        "nn1": FeedbackOptions(),
        "nn1-margin": FeedbackOptions(order="margin"),
        "rocchio": FeedbackOptions(method="rocchio"),
        "linear": FeedbackOptions(method="linear"),
    }
    print(f"{'N':>9} {'columns (20 new)':>17} {'columns (10 new)':>17} " + " ".join(f"{name:>10}" for name in methods))
    for n in sizes:
        index = EmbeddingIndex(None, "bench")  # type: ignore[arg-type] - arrays set directly, no database
        index.ids = np.arange(n, dtype=np.int64)
        index.matrix = random_unit_matrix(n, 512, seed=2)
        rows = np.arange(20) * (n // 20)
        labels = np.array([1] * 10 + [-1] * 10)
        query_sims = index.matrix @ index.matrix[3]

        def cold_columns() -> np.ndarray:
            index._columns.clear()
            return index.similarity_columns(rows)

        def warm_columns() -> np.ndarray:
            index._columns.clear()
            index.similarity_columns(rows[:10])
            started = time.perf_counter()
            index.similarity_columns(rows)
            warm_columns.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
            return rows

        cold_ms = median_ms(cold_columns, repeats)
        warm_times = []
        for _ in range(repeats):
            warm_columns()
            warm_times.append(warm_columns.elapsed)  # type: ignore[attr-defined]
        warm_ms = statistics.median(warm_times) * 1000
        columns = index.similarity_columns(rows)
        vectors = index.matrix[rows]
        problem = FeedbackProblem(
            query_sims=query_sims, rated_sims=columns, labels=labels, rated_gram=vectors @ vectors.T,
            query_vector_sims=query_sims, query_rated=vectors @ index.matrix[3], rated_positions=rows,
        )
        method_ms = [median_ms(lambda o=o: top_k(rerank(problem, o).key, 100), repeats) for o in methods.values()]
        print(f"{n:>9} {cold_ms:>15.2f}ms {warm_ms:>15.2f}ms " + " ".join(f"{ms:>8.2f}ms" for ms in method_ms))
        print(f"{'':>9} re-rank total nn1: cold {cold_ms + method_ms[0]:.1f} ms, in a session {warm_ms + method_ms[0]:.1f} ms")
        del index


# ---- the engine on a real database -----------------------------------------------------------


def build_library(path: Path, n: int, model_key: str) -> list[int]:
    from photo_organizer.storage import OK, Library

    library = Library(path)
    with library.db.conn:
        root = library.db["roots"].insert({"path": "/bench", "added_at": time.time()}).last_pk
        library.db["photos"].insert_all(
            (
                {"root_id": root, "path": f"/bench/{i // 1000:04d}/IMG_{i:07d}.jpg", "size": 1, "mtime": 1.6e9 + i,
                 "taken_at": f"20{10 + i % 14:02d}-0{1 + i % 9}-1{i % 10}T12:00:00", "state": OK}
                for i in range(n)
            ),
            batch_size=5000,
        )
    ids = [row["id"] for row in library.query("SELECT id FROM photos ORDER BY id")]
    for start in range(0, n, 50_000):
        chunk = ids[start : start + 50_000]
        library.put_embeddings(model_key, chunk, random_unit_matrix(len(chunk), 512, seed=start))
    library.close()
    return ids


def bench_engine(sizes: list[int], repeats: int, workdir: Path) -> None:
    from photo_organizer.search.engine import SearchEngine
    from photo_organizer.search.query import SearchQuery, SearchView
    from photo_organizer.search.query_encoding import TEXT, QueryCache, QueryEncoder
    from photo_organizer.storage import Library

    print(f"\n== SearchEngine on a library database ({load()}) ==")
    print(f"{'N':>9} {'build db':>9} {'index load':>11} {'search':>9} {'mark':>8} {'refine 20':>10} {'refine +2':>10}")
    key = "clip:bench:random:224px"
    for n in sizes:
        if n > 200_000:
            continue  # a 1M-photo database takes minutes to build; the matrix figures above cover it
        path = workdir / f"engine-{n}.db"
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        ids = build_library(path, n, key)
        build_s = time.perf_counter() - started
        library = Library(path)
        cache = QueryCache(workdir / "queries.db")
        cache.put(key, TEXT, "bench query", random_unit_matrix(1, 512, seed=99)[0])
        engine = SearchEngine(library, QueryEncoder(key, load_clip=None, cache=cache))
        started = time.perf_counter()
        engine.index.refresh()
        load_s = time.perf_counter() - started
        query = SearchQuery(text="bench query", view=SearchView(limit=100))
        search_ms = median_ms(lambda: engine.search(query), repeats)
        rated = ids[:: max(1, n // 20)][:20]

        def refine_all() -> None:
            engine.index._columns.clear()
            engine.search(query)
            started = time.perf_counter()
            for i, photo_id in enumerate(rated):
                engine.mark(photo_id, "liked" if i % 2 == 0 else "disliked")
            refine_all.mark = (time.perf_counter() - started) / len(rated)  # type: ignore[attr-defined]
            started = time.perf_counter()
            engine.refine()
            refine_all.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
            engine.mark(ids[1], "liked")
            engine.mark(ids[2], "disliked")
            started = time.perf_counter()
            engine.refine()
            refine_all.again = time.perf_counter() - started  # type: ignore[attr-defined]

        firsts, agains, marks = [], [], []
        for _ in range(max(3, repeats // 3)):
            refine_all()
            firsts.append(refine_all.elapsed)  # type: ignore[attr-defined]
            agains.append(refine_all.again)  # type: ignore[attr-defined]
            marks.append(refine_all.mark)  # type: ignore[attr-defined]
        print(
            f"{n:>9} {build_s:>8.1f}s {load_s * 1000:>9.0f}ms {search_ms:>7.1f}ms {statistics.median(marks) * 1000:>6.1f}ms "
            f"{statistics.median(firsts) * 1000:>8.1f}ms {statistics.median(agains) * 1000:>8.1f}ms"
        )
        library.close()
        path.unlink(missing_ok=True)


# ---- text encoding and the cold command line --------------------------------------------------


def prepare_home(workdir: Path, photos: int) -> Path:
    """A data home with ``photos`` photos embedded under the random-weights CLIP key."""
    from photo_organizer.models.registry import CLIP

    home = workdir / "home"
    shutil.rmtree(home, ignore_errors=True)
    ctx = random_weights_context(home)
    key = ctx.models.active_key(ctx.library, CLIP)
    ctx.close()
    build_library(home / "library.db", photos, key)
    return home


def random_weights_context(home: Path):  # noqa: ANN201 - AppContext, imported lazily
    from photo_organizer.context import AppContext
    from photo_organizer.environment import model_options_from_environment

    return AppContext.open(home, model_options_from_environment({**os.environ, **RANDOM_ENV}))


def bench_text(repeats: int, workdir: Path) -> None:
    from photo_organizer.search.clip_tokenizer import ClipTokenizer
    from photo_organizer.search.engine import SearchEngine
    from photo_organizer.search.query import SearchQuery
    from photo_organizer.search.query_encoding import OnnxTextEncoder, QueryEncoder
    from photo_organizer.search.text_tower import TruncatedTorchTextEncoder, export_text_tower, open_clip_vocab_path

    print(f"\n== CLIP ViT-B/32 text encoding, one query ({load()}) ==")
    home = prepare_home(workdir, 1000)
    ctx = random_weights_context(home)
    started = time.perf_counter()
    clip = ctx.models.clip(ctx.library)
    print(f"import torch + open_clip and build the model: {time.perf_counter() - started:.1f} s")
    folder = ctx.home.model_exports(clip.model_key)
    started = time.perf_counter()
    meta = export_text_tower(clip, folder)
    print(f"one-time ONNX export + verification: {time.perf_counter() - started:.1f} s "
          f"(max |ONNX - torch| = {meta['max_difference']:.1e})")
    truncated = TruncatedTorchTextEncoder(clip, ClipTokenizer(open_clip_vocab_path()))
    started = time.perf_counter()
    onnx = OnnxTextEncoder(folder)
    print(f"ONNX Runtime session start: {(time.perf_counter() - started) * 1000:.0f} ms")
    encoders = {"open_clip encode_text (77 tokens)": clip, "query-length torch": truncated, "ONNX Runtime": onnx}
    for text in ("dog in the snow", "two children flying a red kite on a windy beach at sunset"):
        print(f"  {text!r}")
        for name, encoder in encoders.items():
            print(f"    {name:<36} {median_ms(lambda e=encoder: e.encode_texts([text]), repeats):7.1f} ms")

    print(f"\n== warm text search on 1,000 photos, text encoding included (the GUI) ({load()}) ==")
    for name, encoder in encoders.items():
        engine = SearchEngine(ctx.library, QueryEncoder(clip.model_key, load_clip=None, text_encoder=encoder))
        counter = iter(range(10**6))
        total = median_ms(lambda: engine.search(SearchQuery(text=f"a photo of thing {next(counter)}")), repeats)
        parts = ", ".join(f"{k} {v:.1f}" for k, v in engine.timings.items())
        print(f"    {name:<36} {total:7.1f} ms  ({parts} ms)")
    ctx.close()


def bench_cli(workdir: Path) -> None:
    print(f"\n== cold `photo-organizer search TEXT`, 1,000 photos ({load()}) ==")
    home = prepare_home(workdir, 1000)
    env = {**os.environ, **RANDOM_ENV, "PHOTO_ORGANIZER_HOME": str(home)}
    executable = [sys.executable, "-m", "photo_organizer"]

    def run(*argv: str) -> tuple[float, dict]:
        started = time.perf_counter()
        result = subprocess.run([*executable, *argv], capture_output=True, text=True, env=env, cwd=ROOT)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        return elapsed, json.loads(result.stdout)

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import photo_organizer.models.torch_compat as t; t.import_torch(); import open_clip"],
                   check=True, env=env, capture_output=True)
    print(f"reference: python -c 'import torch, open_clip': {time.perf_counter() - started:.1f} s")
    first, data = run("search", "dog in the snow", "--json")
    print(f"first search (torch, then the one-time ONNX export): {first:.1f} s, encoded by {data['encoded_by']}")
    onnx_runs = [run("search", f"a red car number {i}", "--json") for i in range(3)]
    print(f"new text (ONNX Runtime, no torch): {', '.join(f'{s:.2f}' for s, _ in onnx_runs)} s "
          f"(encoded by {onnx_runs[0][1]['encoded_by']}; encode {onnx_runs[0][1]['timings_ms']['encode_ms']:.0f} ms)")
    cached = [run("search", "a red car number 0", "--json")[0] for _ in range(3)]
    print(f"repeated text (query cache): {', '.join(f'{s:.2f}' for s in cached)} s")
    started = time.perf_counter()
    subprocess.run([*executable, "--version"], check=True, env=env, capture_output=True, cwd=ROOT)
    print(f"reference: photo-organizer --version: {time.perf_counter() - started:.2f} s")


# ---- methods on synthetic data with classes ---------------------------------------------------


def bench_methods() -> None:
    from photo_organizer.evaluation.feedback import KEPT, PRESETS, REMOVED, evaluate_feedback_job
    from photo_organizer.progress import drain

    spec = SyntheticSpec(classes=40, per_class=30, seed=11)
    images, labels, texts = labelled_embeddings(spec)
    print(f"\n== feedback methods, synthetic CLIP-like embeddings: {spec.classes} classes x {spec.per_class}, "
          f"{spec.modes_per_class} looks per class; user marks the top 10 per round ==")
    queries = np.arange(0, len(labels), 3)
    for kind, extra in (("image queries (every 3rd image)", {"queries": queries}),
                        ("text queries (one per class)", {"text_queries": (texts, np.arange(spec.classes))})):
        evaluation = drain(evaluate_feedback_job(images, labels, dict(PRESETS), shown=10, rounds=3, **extra))
        for mode in (KEPT, REMOVED):
            print(f"-- {kind}, MAP@R, rated images {mode}")
            print(f"{'round':<6}" + "".join(f"{name:>18}" for name in PRESETS))
            for round_ in range(4):
                print(f"{round_:<6}" + "".join(f"{evaluation.scores[name][mode][round_].get('MAP@R', float('nan')):>18.3f}" for name in PRESETS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--skip-models", action="store_true", help="leave out the text and cli sections")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    sections = [s for s in args.only if not (args.skip_models and s in ("text", "cli"))]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs, numpy {np.__version__}, {load()}")
    try:
        if "scoring" in sections:
            bench_scoring(args.sizes, args.repeats)
        if "rerank" in sections:
            bench_rerank(args.sizes, args.repeats)
        if "engine" in sections:
            bench_engine(args.sizes, args.repeats, workdir)
        if "text" in sections:
            bench_text(args.repeats, workdir)
        if "cli" in sections:
            bench_cli(workdir)
        if "methods" in sections:
            bench_methods()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
