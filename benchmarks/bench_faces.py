"""Benchmark: the faces pass (dlib HOG + 5-point alignment + ResNet descriptor) and grouping.

    python benchmarks/bench_faces.py                         # 48 face photos, 48 without faces
    python benchmarks/bench_faces.py --faces-dir DIR --repeat 4 --plain 48 --workers 2

Three kinds of photo, each timed as its own faces pass (``faces_job``, decode threads =
``--workers``, dlib in the job's thread) on a fresh library:

* ``faces``: the real face photos of ``--faces-dir`` (default ``../shared/data/faces``, 12
  photos, 13 faces, 500-1,200 px), each copied ``--repeat`` times;
* ``faces-camera``: the same photos upscaled to 4032 px on the long side (a phone's size), so
  decoding and the 1600 px detection size are what a real library pays;
* ``no-face``: generated 4000x3000 JPEGs (``sample_photos.render``) without faces.

Printed: photos/s and faces/s per kind, then what the pass adds to a first index of 1,000
photos, extrapolated from the measured rates (not measured at that size) for a library
where ``--face-share`` of the photos (default 0.5) look like ``faces-camera`` and the rest like
``no-face``; the grouping step is timed on the faces found, repeated to the faces of 1,000
photos. The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from photo_organizer.imaging import load_rgb  # noqa: E402
from photo_organizer.indexer import index_library  # noqa: E402
from photo_organizer.people import store  # noqa: E402
from photo_organizer.people.clustering import cluster_faces  # noqa: E402
from photo_organizer.people.detection import DECODE_LONG_SIDE  # noqa: E402
from photo_organizer.people.faces_pass import faces_job  # noqa: E402
from photo_organizer.progress import drain  # noqa: E402
from photo_organizer.sample_photos import CLASSES, render, save_jpeg  # noqa: E402
from photo_organizer.storage import Library  # noqa: E402
from photo_organizer.thumbnails import ThumbnailCache  # noqa: E402

DEFAULT_FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
CAMERA_LONG_SIDE = 4032
KINDS = list(CLASSES)


def face_photos(source: Path) -> list[Path]:
    return sorted(p for p in source.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def make_folder(kind: str, folder: Path, sources: list[Path], repeat: int, plain: int) -> None:
    folder.mkdir(parents=True)
    if kind == "no-face":
        for n in range(plain):
            save_jpeg(render(KINDS[n % len(KINDS)], (4000, 3000), n), folder / f"plain_{n}.jpg")
        return
    for n in range(repeat):
        for index, source in enumerate(sources):
            target = folder / f"{n}_{index}_{source.stem}.jpg"
            if kind == "faces":
                shutil.copy(source, target.with_suffix(source.suffix))
            else:
                image = load_rgb(source)
                scale = CAMERA_LONG_SIDE / max(image.size)
                image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC).save(
                    target, "JPEG", quality=90
                )


def stage_costs(folder: Path) -> str:
    """CPU seconds per photo of each step, in one thread (thread time: what a busy machine's
    other work does not inflate)."""
    from photo_organizer.people.detection import DECODE_MIN_SIDE, FaceAnalyzer, scaled_for_detection

    analyzer = FaceAnalyzer()
    decode = detect = describe = 0.0
    photos = sorted(folder.iterdir())
    faces = 0
    for path in photos:
        started = time.thread_time()
        array = scaled_for_detection(load_rgb(path, DECODE_MIN_SIDE))
        decoded = time.thread_time()
        rectangles = analyzer.detect(array)
        detected = time.thread_time()
        faces += len(analyzer.describe(array, rectangles))
        decode, detect, describe = decode + decoded - started, detect + detected - decoded, describe + time.thread_time() - detected
    n = len(photos)
    return (f"CPU per photo ({folder.name}): decode+scale {decode / n * 1000:.0f} ms, detect {detect / n * 1000:.0f} ms; "
            f"landmarks+descriptor {describe / max(1, faces) * 1000:.0f} ms per face")


def run_pass(folder: Path, work: Path, workers: int) -> tuple[dict, np.ndarray]:
    with Library(work / f"{folder.name}.db") as library:
        library.add_root(folder)
        thumbnails = ThumbnailCache(work / f"{folder.name}.thumbs")
        try:
            drain(index_library(library, thumbnails))
        finally:
            thumbnails.close()
        cpu = time.process_time()
        report = drain(faces_job(library, workers=workers))
        cpu = time.process_time() - cpu
        descriptors = store.face_table(library).descriptors
    return {
        "photos": report.scanned, "faces": report.faces, "seconds": report.seconds, "cpu": cpu,
        "failed": len(report.failed),
    }, descriptors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces-dir", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--repeat", type=int, default=4, help="copies of each real face photo")
    parser.add_argument("--plain", type=int, default=48, help="generated photos without faces")
    parser.add_argument("--workers", type=int, default=2, help="decode threads")
    parser.add_argument("--face-share", type=float, default=0.5, help="share of photos with faces, for the extrapolation")
    args = parser.parse_args()
    sources = face_photos(args.faces_dir)
    if not sources:
        raise SystemExit(f"no face photos in {args.faces_dir}")
    print(f"decode size: long side {DECODE_LONG_SIDE} px; decode threads {args.workers}; cpus {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    results = {}
    all_descriptors = []
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        for kind in ("faces", "faces-camera", "no-face"):
            folder = work / kind
            make_folder(kind, folder, sources, args.repeat, args.plain)
            print(stage_costs(folder))
            result, descriptors = run_pass(folder, work, args.workers)
            results[kind] = result
            all_descriptors.append(descriptors)
            print(f"{kind:<13} {result['photos']:>4} photos {result['faces']:>4} faces  {result['seconds']:6.1f} s  "
                  f"{result['photos'] / result['seconds']:5.2f} photos/s  {result['faces'] / result['seconds']:5.2f} faces/s  "
                  f"cpu {result['cpu']:.1f} s  failed {result['failed']}")
    with_faces, without = results["faces-camera"], results["no-face"]
    per_face_photo = with_faces["seconds"] / with_faces["photos"]
    per_plain_photo = without["seconds"] / without["photos"]
    share = args.face_share
    pass_seconds = 1000 * (share * per_face_photo + (1 - share) * per_plain_photo)
    faces_per_1000 = round(1000 * share * with_faces["faces"] / with_faces["photos"])
    descriptors = np.vstack([d for d in all_descriptors if len(d)])
    sample = descriptors[np.arange(faces_per_1000) % len(descriptors)]
    sample = sample + np.random.default_rng(0).normal(0, 0.01, sample.shape).astype(np.float32)
    started = time.perf_counter()
    cluster_faces(sample)
    grouping_seconds = time.perf_counter() - started
    cpu_seconds = 1000 * (share * with_faces["cpu"] / with_faces["photos"] + (1 - share) * without["cpu"] / without["photos"])
    print(f"first index of 1,000 photos ({share:.0%} with faces, {faces_per_1000} faces), extrapolated from the rates "
          f"above: faces pass {pass_seconds:.0f} s ({1000 / pass_seconds:.2f} photos/s), grouping {grouping_seconds:.2f} s "
          f"(measured on {faces_per_1000} descriptors)")
    print(f"  CPU time of that pass: {cpu_seconds:.0f} s (all threads); on an otherwise idle 2-core machine its wall time "
          f"lies between {cpu_seconds / 2:.0f} s (both cores busy) and {cpu_seconds:.0f} s (one)")


if __name__ == "__main__":
    main()
