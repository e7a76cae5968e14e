"""Benchmark: geocoding, timeline counts and event splitting on a synthetic library.

    python benchmarks/bench_timeline.py                 # 100,000 photos
    python benchmarks/bench_timeline.py --photos 20000

A library database of N photo rows (no image files): capture times over 15 years in bursts
(a few sessions a week, some holidays), 60% with a GPS position around 12 cities worldwide, the
rest without. Measured: the geocoder's data load, geocoding every position (lookup alone, and
the whole ``geocode_job`` with its writes); timeline counts per year/month (the covering index),
one month's day counts and "on this day"; ``events_job`` recomputing every event; the index
stage's ``pending_count`` when there is nothing to do. Query figures
are the median of 20 runs on a warm database. Figures depend on the machine's load: the load
average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photo_organizer.progress import drain  # noqa: E402
from photo_organizer.storage import OK, Library  # noqa: E402
from photo_organizer.storage.timeline import METADATA_VERSION  # noqa: E402
from photo_organizer.timeline.capture import effective_capture  # noqa: E402
from photo_organizer.timeline.geocode import Geocoder  # noqa: E402
from photo_organizer.timeline.jobs import events_job, geocode_job, pending_count  # noqa: E402

CITIES = [(48.86, 2.35), (45.76, 4.84), (35.68, 139.69), (40.71, -74.0), (-1.29, 36.82), (51.5, -0.12),
          (41.9, 12.5), (-33.87, 151.21), (37.77, -122.42), (52.52, 13.4), (19.43, -99.13), (1.35, 103.82)]


def synthetic_rows(count: int, rng: np.random.Generator) -> list[tuple]:
    start = datetime(2010, 1, 1)
    rows, moment, home = [], start, CITIES[1]
    while len(rows) < count:
        moment += timedelta(hours=float(rng.exponential(40)))  # the next session of photos
        city = CITIES[int(rng.integers(len(CITIES)))] if rng.random() < 0.15 else home
        for _ in range(int(rng.integers(1, 40))):
            moment += timedelta(seconds=float(rng.exponential(300)))
            has_gps = rng.random() < 0.6
            lat, lon = (city[0] + rng.normal(0, 0.05), city[1] + rng.normal(0, 0.05)) if has_gps else (None, None)
            taken = moment.strftime("%Y-%m-%dT%H:%M:%S")
            capture = effective_capture(taken, "+01:00" if rng.random() < 0.5 else None, None)
            n = len(rows)
            rows.append((f"/photos/{n // 1000}/img_{n:06d}.jpg", 1_000_000, moment.timestamp(), taken, lat, lon, OK,
                         capture.local, capture.sort, capture.source, METADATA_VERSION))
    return rows[:count]


def build_library(path: Path, count: int) -> Library:
    library = Library(path)
    rows = synthetic_rows(count, np.random.default_rng(0))
    with library.transaction():
        library.db.conn.executemany(
            "INSERT INTO photos (path, size, mtime, taken_at, gps_lat, gps_lon, state, capture_local, capture_sort, "
            "date_source, metadata_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    library.db.execute("ANALYZE")
    return library


def median_ms(action: Callable[[], object], runs: int = 20) -> float:
    action()  # warm
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {args.photos:,} photos")
    with tempfile.TemporaryDirectory() as folder:
        seconds, library = timed(lambda: build_library(Path(folder) / "library.db", args.photos))
        print(f"built the synthetic library in {seconds:.1f} s")

        load_s, geocoder = timed(Geocoder)
        positions = np.array(library.db.execute(
            "SELECT gps_lat, gps_lon FROM photos WHERE gps_lat IS NOT NULL").fetchall(), dtype=np.float64)
        lookup_s, _ = timed(lambda: geocoder.lookup(positions))
        job_s, placed = timed(lambda: drain(geocode_job(library, lambda: geocoder)))
        print(f"geocoder data load: {load_s:.2f} s ({len(geocoder):,} places)")
        print(f"geocoding {len(positions):,} positions: lookup {lookup_s:.2f} s; whole job with writes {job_s:.2f} s "
              f"({placed:,} photos)")

        print(f"timeline counts per month: {median_ms(lambda: library.month_counts()):.1f} ms "
              f"({len(library.month_counts())} months)")
        month = library.month_counts()[len(library.month_counts()) // 2]["month"]
        print(f"day counts of {month}: {median_ms(lambda: library.day_counts(month)):.2f} ms")
        print(f"on this day (07-14): {median_ms(lambda: library.photos_on_day('07-14', 2100)):.1f} ms")
        print(f"places list: {median_ms(lambda: library.place_rows(), runs=5):.1f} ms")

        first_s, events = timed(lambda: drain(events_job(library)))
        again_s, _ = timed(lambda: drain(events_job(library)))
        print(f"events of {args.photos:,} photos: {first_s:.2f} s first, {again_s:.2f} s recomputed ({events:,} events)")
        print(f"pending_count with nothing to do: {median_ms(lambda: pending_count(library), runs=5):.1f} ms")
        library.close()


if __name__ == "__main__":
    main()
