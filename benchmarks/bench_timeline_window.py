"""Benchmark: the window's timeline on a synthetic library (launch to first paint, scrubber jumps).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline_window.py             # 100,000 photos
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline_window.py --photos 20000

The library of ``bench_timeline.py`` (photo rows without files, 15 years in bursts, 60% with GPS
around 12 cities), geocoded and split into events, under a data home with one folder. Measured:
from ``launch`` (window built, "All photos" listed by day with its sections, sidebar with
events and places, scrubber months) to the grid's first paint; the parts of it (listing the
timeline, laying out the grid); then clicking scrubber months spread over the years, each until
the grid has painted the month at the top (median and worst of 12). Thumbnails are missing
(no files), so painting shows placeholders: the figures are the timeline's own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.bench_timeline import build_library  # noqa: E402
from photo_organizer.app.timeline import all_photos_timeline  # noqa: E402
from photo_organizer.context import AppContext  # noqa: E402
from photo_organizer.progress import drain  # noqa: E402
from photo_organizer.timeline.jobs import events_job, geocode_job  # noqa: E402
from photo_organizer.ui.app import application, launch  # noqa: E402


class PaintWatch(QObject):
    """Counts paints of a widget."""

    def __init__(self, widget) -> None:  # noqa: ANN001
        super().__init__()
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def until_painted(app: QApplication, watch: PaintWatch, before: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while watch.paints <= before and time.monotonic() < deadline:
        app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {args.photos:,} photos")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        home.mkdir()
        library = build_library(home / "library.db", args.photos)
        root_id = library.add_root(Path("/photos"))
        with library.transaction():
            library.db.execute("UPDATE photos SET root_id = ?", [root_id])
        drain(geocode_job(library))
        events = drain(events_job(library))
        library.close()
        ctx = AppContext.open(home)
        app = application()
        started = time.perf_counter()
        contents = all_photos_timeline(ctx.library)
        print(f"timeline listing (ids, days, cities, {len(contents.sections or []):,} day sections): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")

        started = time.perf_counter()
        window = launch(ctx, scan_on_start=False, show=False)
        built = time.perf_counter() - started
        watch = PaintWatch(window.grid.viewport())
        window.resize(1280, 800)
        window.show()
        until_painted(app, watch, 0)
        first_paint = time.perf_counter() - started
        print(f"launch to first paint of the timeline: {first_paint * 1000:.0f} ms "
              f"(window built and listed: {built * 1000:.0f} ms; {events} events in the sidebar)")

        months = window.backend.months()
        picks = [months[int(i * (len(months) - 1) / 11)].month for i in range(12)]
        timings = []
        for month in picks:
            before = watch.paints
            started = time.perf_counter()
            window.jump_to_month(month)
            until_painted(app, watch, before)
            timings.append((time.perf_counter() - started) * 1000)
            top = window.model.section(window.grid.visible_rows().start)
            assert top is not None and top[1][:7] <= month, (month, top)
        print(f"scrubber jump to a month and paint: median {statistics.median(timings):.1f} ms, "
              f"worst {max(timings):.1f} ms ({len(picks)} months from {picks[-1]} to {picks[0]})")
        window.close()
        ctx.close()


if __name__ == "__main__":
    main()
