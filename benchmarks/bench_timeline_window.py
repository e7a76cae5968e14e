"""Benchmark: the window's timeline on a synthetic library (launch to first paint, scrubber jumps).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline_window.py             # 100,000 photos
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline_window.py --photos 20000
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline_window.py --compare /tmp/old-checkout

The library of ``bench_timeline.py`` (photo rows without files, 15 years in bursts, 60% with GPS
around 12 cities), geocoded and split into events, under a data home with one folder. Measured,
in a fresh process per launch (median of ``--runs``): from ``launch`` (window built, "All photos"
listed by day, sidebar with events, scrubber months) to the grid's first paint; then until the
window is complete (every row listed and laid out, every day header with its place, the Places tree); the
memory of the idle window (resident set). With ``--compare DIR``, launches of the code in DIR (an
older checkout) alternate with this one's on the same library, so both see the same load. Then,
in this process: clicking scrubber months spread over the years, each until the grid has painted
the month at the top (median and worst of 12). Thumbnails are missing (no files), so painting
shows placeholders: the figures are the timeline's own cost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
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

# One launch in a fresh process, on whichever checkout PYTHONPATH names (older ones lack the
# deferred steps: then the window is complete at its first paint).
LAUNCH = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtCore import QEvent, QObject
    from photo_organizer.context import AppContext
    from photo_organizer.ui.app import application, launch

    class Paints(QObject):
        count = 0
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    def complete(window):
        places_done = not hasattr(window, "_after_first_paint") or window._after_first_paint.is_done()
        listed = getattr(window.model, "all_rows_shown", lambda: True)()
        return listed and places_done and not getattr(window.model.contents, "day_places_pending", False)

    ctx = AppContext.open(sys.argv[1])
    app = application()
    started = time.perf_counter()
    window = launch(ctx, scan_on_start=False, show=False)
    built = time.perf_counter() - started
    paints = Paints()
    window.grid.viewport().installEventFilter(paints)
    window.resize(1280, 800)
    window.show()
    while paints.count == 0:
        app.processEvents()
    first_paint = time.perf_counter() - started
    while not complete(window):
        app.processEvents()
    window.grid.visualRect(window.model.index(window.model.rowCount() - 1))  # runs the grid's pending layout
    whole = time.perf_counter() - started
    for _ in range(20):  # idle: let pending paints and thumbnail answers land
        app.processEvents()
        time.sleep(0.01)
    rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
    print(json.dumps({"built": built, "paint": first_paint, "complete": whole, "rss_mib": rss,
                      "rows": window.model.rowCount()}))
    window.close()
    ctx.close()
    """
)


def launch_once(checkout: Path, home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    result = subprocess.run([sys.executable, "-c", LAUNCH, str(home)], capture_output=True, text=True, env=env,
                            timeout=300, cwd=checkout)
    if result.returncode:
        raise SystemExit(f"launch failed on {checkout}:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def launches(home: Path, runs: int, compare: Path | None) -> None:
    checkouts = {"this checkout": ROOT} | ({f"compared ({compare})": compare} if compare else {})
    figures: dict[str, list[dict]] = {name: [] for name in checkouts}
    for _ in range(runs):
        for name, checkout in checkouts.items():  # alternate: both see the same load
            figures[name].append(launch_once(checkout, home))
    for name, runs_of in figures.items():
        def median(key: str) -> float:
            return statistics.median(run[key] for run in runs_of)
        every = ", ".join(f"{run['paint'] * 1000:.0f}" for run in runs_of)
        print(f"{name}: launch to first paint {median('paint') * 1000:.0f} ms (runs: {every}); "
              f"window built {median('built') * 1000:.0f} ms; "
              f"complete (every row listed and laid out, every header placed) {median('complete') * 1000:.0f} ms; "
              f"idle window {median('rss_mib'):.0f} MiB resident; {runs_of[0]['rows']:,} grid rows")


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
    parser.add_argument("--runs", type=int, default=5, help="launches (fresh processes) per checkout")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="an older checkout to launch alternately")
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
        print(f"{events} events")
        launches(home, args.runs, args.compare)
        print(f"load average {os.getloadavg()[0]:.2f}")

        ctx = AppContext.open(home)
        app = application()
        started = time.perf_counter()
        contents = all_photos_timeline(ctx.library)
        print(f"timeline listing (ids, days, cities, {len(contents.sections or []):,} day sections): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
        window = launch(ctx, scan_on_start=False, show=False)
        watch = PaintWatch(window.grid.viewport())
        window.resize(1280, 800)
        window.show()
        until_painted(app, watch, 0)
        while not window.model.all_rows_shown() or window.model.contents.day_places_pending:
            app.processEvents()

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
