"""Benchmark: an unchanged re-run of `index` on a large library (issue 13: 100,000 photos < 2 s).

    python benchmarks/bench_reindex.py --photos 100000 --runs 3

The library is written directly, as if a full index had run: one real file per photo (hard
links to a few small JPEGs, so the scan stats 100,000 real files), photo rows with matching
size and mtime, random unit vectors under the CLIP and DINOv2 random-weights model keys, the
albums' clustering state, and the ONNX text and image towers exported from the random-weights
CLIP (the real export). Then `index` runs as a user runs it, a whole process per run; the
output says which steps had anything to do (none should) and whether torch was imported.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from photo_organizer.context import AppContext  # noqa: E402
from photo_organizer.models.provider import ModelOptions  # noqa: E402
from photo_organizer.models.registry import CLIP, DINO  # noqa: E402
from photo_organizer.sample_photos import CLASSES, render  # noqa: E402
from photo_organizer.scanner import fingerprint  # noqa: E402
from photo_organizer.storage import OK  # noqa: E402

RUNNER = """
import sys, time
started = time.perf_counter()
from photo_organizer.cli.main import main
code = main(["--home", sys.argv[1], "index"])
print("TORCH", "torch" in sys.modules)
sys.exit(code)
"""


def make_files(folder: Path, photos: int, distinct: int = 8) -> list[Path]:
    sources = []
    kinds = sorted(CLASSES)
    for i in range(distinct):
        buffer = io.BytesIO()
        render(kinds[i % len(kinds)], (160, 120), i).save(buffer, "JPEG", quality=85)
        source = folder / f"source_{i}.jpg.src"
        source.write_bytes(buffer.getvalue())
        sources.append(source)
    paths = []
    for i in range(photos):
        path = folder / f"{i // 1000:03d}" / f"IMG_{i:06d}.jpg"
        path.parent.mkdir(exist_ok=True)
        if not path.exists():
            os.link(sources[i % distinct], path)
        paths.append(path)
    return paths


def build_library(home: Path, folder: Path, photos: int) -> None:
    ctx = AppContext.open(home, ModelOptions(random_weights=True))
    library = ctx.library
    paths = make_files(folder, photos)
    root_id = library.add_root(folder)
    now = time.time()
    rows = []
    for path in paths:
        stat = path.stat()
        rows.append({
            "root_id": root_id, "path": str(path), "fingerprint": fingerprint(str(path), stat.st_size), "state": OK,
            "width": 160, "height": 120, "size": stat.st_size, "mtime": stat.st_mtime, "added_at": now, "updated_at": now,
        })
    with library.transaction():
        library.db["photos"].insert_all(rows, batch_size=5000)
    ids = [row["id"] for row in library.query("SELECT id FROM photos ORDER BY id")]
    rng = np.random.default_rng(0)
    for role, dim in ((CLIP, 512), (DINO, 768)):
        key = ctx.models.active_key(library, role)
        vectors = rng.standard_normal((len(ids), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        library.put_embeddings(key, ids, vectors)
    dino_key = ctx.models.active_key(library, DINO)
    library.set_setting("albums.state", {"model_key": dino_key, "photo_count": len(ids), "max_photo_id": max(ids)})
    _export_towers(ctx)
    ctx.close()


def _export_towers(ctx: AppContext) -> None:
    from photo_organizer.search.image_tower import export_image_tower
    from photo_organizer.search.query_encoding import prepare_text_search

    clip = ctx.models.clip(ctx.library)
    folder = ctx.home.model_exports(clip.model_key)
    prepare_text_search(clip, folder)
    export_image_tower(lambda: clip, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-reindex")
    args = parser.parse_args()
    home, folder = args.workdir / f"home-{args.photos}", args.workdir / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    if not (home / "library.db").exists():
        started = time.perf_counter()
        build_library(home, folder, args.photos)
        print(f"built a {args.photos:,}-photo library in {time.perf_counter() - started:.0f} s")
    env = {**os.environ, "PHOTO_ORGANIZER_RANDOM_WEIGHTS": "1", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    times, output = [], ""
    for _ in range(args.runs):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", RUNNER, str(home)], env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
        times.append(time.perf_counter() - started)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            sys.exit(f"index failed:\n{output}")
    print(f"unchanged re-index of {args.photos:,} photos, whole process: median {statistics.median(times):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in times)}); load average {os.getloadavg()[0]:.2f}")
    print("last run printed:\n" + "\n".join(line for line in output.splitlines() if "WARNING" not in line))


if __name__ == "__main__":
    main()
