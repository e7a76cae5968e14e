"""Benchmark: first index (scan + metadata + thumbnails) and an unchanged re-scan.

    python benchmarks/bench_scan.py --count 10000 --size 4000x3000 --workdir /tmp/bench-scan

Files are made from a few hundred distinct camera-sized JPEGs, each copy given a unique
trailer after the JPEG end marker (decoders ignore it), so every file has its own content
fingerprint and the decode cost of a real 12 MP photo.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from photo_organizer.indexer import index_library  # noqa: E402
from photo_organizer.progress import drain  # noqa: E402
from photo_organizer.sample_photos import CLASSES, exif_bytes, render  # noqa: E402
from photo_organizer.storage import Library  # noqa: E402
from photo_organizer.thumbnails import ThumbnailCache  # noqa: E402


def camera_jpeg(seed: int, size: tuple[int, int]) -> bytes:
    kind = list(CLASSES)[seed % len(CLASSES)]
    small = render(kind, (size[0] // 4, size[1] // 4), seed).resize(size, Image.Resampling.BILINEAR)
    grain = np.random.default_rng(seed).normal(0, 6, (size[1], size[0], 3))
    pixels = np.clip(np.asarray(small, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=92, exif=exif_bytes(orientation=1, camera="Bench Cam"))
    return buffer.getvalue()


def make_tree(folder: Path, count: int, size: tuple[int, int], distinct: int) -> int:
    bases = [camera_jpeg(seed, size) for seed in range(min(distinct, count))]
    total = 0
    for n in range(count):
        data = bases[n % len(bases)] + f"bench-copy-{n}".encode()
        path = folder / f"{n // 500:03d}" / f"IMG_{n:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--distinct", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-scan"))
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    shutil.rmtree(args.workdir, ignore_errors=True)
    photos, home = args.workdir / "photos", args.workdir / "home"
    home.mkdir(parents=True)

    started = time.perf_counter()
    total_bytes = make_tree(photos, args.count, size, args.distinct)
    print(f"generated {args.count} JPEGs {size[0]}x{size[1]}, {total_bytes / args.count / 1e6:.2f} MB each, "
          f"in {time.perf_counter() - started:.1f}s")

    library = Library(home / "library.db")
    thumbnails = ThumbnailCache(home / "thumbnails.db")
    library.add_root(photos)
    started = time.perf_counter()
    report = drain(index_library(library, thumbnails))
    first = time.perf_counter() - started
    assert report.processed == args.count, report
    print(f"first index: {first:.1f}s, {args.count / first:.1f} photos/s "
          f"(scan + EXIF + thumbnail, {os.cpu_count()} cores)")

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = drain(index_library(library, thumbnails))
        timings.append(time.perf_counter() - started)
        assert report.scan.unchanged == args.count and report.processed == 0
    print(f"unchanged re-scan of {args.count} files: best {min(timings):.2f}s, "
          f"median {sorted(timings)[1]:.2f}s ({args.count / min(timings):,.0f} files/s)")
    library.close()
    thumbnails.close()  # checkpoints the WAL into the main files
    db_mb = (home / "library.db").stat().st_size / 1e6
    thumbs_mb = (home / "thumbnails.db").stat().st_size / 1e6
    print(f"library.db {db_mb:.1f} MB, thumbnails.db {thumbs_mb:.1f} MB ({thumbs_mb * 1e3 / args.count:.1f} kB/photo)")
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
