"""Benchmark: desktop app start-up to first paint, and scrolling a very large grid.

    python benchmarks/bench_startup.py --photos 10000 --runs 3 [--scroll 100000]

Start-up: a fresh process per run (as a user launches it) opens the window on a library of
``--photos`` photos; the parent times from spawning the process to the window's first paint,
and to the moment every visible thumbnail is on screen. Also reports whether torch was
imported by then (it must not be). The library is written directly (photo rows with dates, and
thumbnails in the cache, ``--distinct`` different JPEGs shared by content fingerprint), since
the point is the window, not the indexer (see bench_scan.py for that).

Scroll: in-process, a grid over ``--scroll`` photos jumps to 40 positions across its whole
length; reports the time to paint each frame (placeholders for thumbnails not loaded yet) and
the time until the new screen's thumbnails are loaded from the cache.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from photo_organizer.context import AppContext  # noqa: E402
from photo_organizer.sample_photos import CLASSES, render  # noqa: E402
from photo_organizer.storage import OK  # noqa: E402
from photo_organizer.thumbnails import ThumbnailCache  # noqa: E402

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from photo_organizer.context import AppContext
    from photo_organizer.ui.app import application, launch

    app = application()
    window = launch(AppContext.open(sys.argv[1]), scan_on_start=False)
    window.resize(1280, 800)
    marks = {}

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and "paint" not in marks:
                marks["paint"] = time.time()
                marks["torch_at_paint"] = "torch" in sys.modules
            return False

    probe = FirstPaint()
    window.grid.viewport().installEventFilter(probe)

    def check():
        if "paint" in marks and window.grid.visible_thumbnails_known():
            marks["thumbnails"] = time.time()
            marks["visible"] = len(window.grid.visible_rows())
            marks["rows"] = window.model.rowCount()
            marks["rss_mib"] = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20  # idle, Linux
            window.close()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(5)
    app.exec()
    print(json.dumps(marks))
    """
)


def thumbnail_jpegs(distinct: int) -> list[bytes]:
    kinds = list(CLASSES)
    jpegs = []
    for seed in range(distinct):
        buffer = io.BytesIO()
        render(kinds[seed % len(kinds)], (256, 192), seed).save(buffer, "JPEG", quality=85)
        jpegs.append(buffer.getvalue())
    return jpegs


def build_library(home: Path, photos: int, distinct: int) -> None:
    ctx = AppContext.open(home)
    library = ctx.library
    if library.count_by_state().get(OK, 0) >= photos:
        ctx.close()
        return
    root_id = library.add_root(Path("/bench/photos"))
    now = time.time()
    rows = [
        {
            "root_id": root_id,
            "path": f"/bench/photos/{i // 1000:03d}/IMG_{i:06d}.jpg",
            "fingerprint": f"bench{i % distinct}",
            "state": OK,
            "taken_at": f"20{10 + i % 14:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00",
            "width": 4000,
            "height": 3000,
            "size": 4_000_000,
            "mtime": now,
            "added_at": now,
            "updated_at": now,
        }
        for i in range(photos)
    ]
    with library.transaction():
        library.db["photos"].insert_all(rows, batch_size=5000)
    cache = ThumbnailCache(ctx.home.thumbnails_path)
    cache.put_many([(f"bench{i}", jpeg) for i, jpeg in enumerate(thumbnail_jpegs(distinct))])
    cache.close()
    ctx.close()


def startup_run(home: Path) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.time()
    result = subprocess.run([sys.executable, "-c", CHILD, str(home)], capture_output=True, text=True, env=env, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"start-up run failed:\n{result.stderr}")
    marks = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "first_paint_s": marks["paint"] - started,
        "thumbnails_s": marks["thumbnails"] - started,
        "torch_at_paint": marks["torch_at_paint"],
        "rows": marks["rows"],
        "visible": marks["visible"],
        "idle_rss_mib": marks.get("rss_mib"),
    }


def bench_scroll(home: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    from photo_organizer.ui.app import application, launch

    app = application()
    window = launch(AppContext.open(home), scan_on_start=False)
    window.resize(1280, 800)
    grid = window.grid
    bar = grid.verticalScrollBar()
    frames, loads = [], []
    for step in range(40):
        bar.setValue(int(bar.maximum() * ((step * 7919) % 40) / 39))
        started = time.perf_counter()
        grid.viewport().repaint()
        frames.append(time.perf_counter() - started)
        started = time.perf_counter()
        while not grid.visible_thumbnails_known():
            app.processEvents()
            time.sleep(0.001)
        loads.append(time.perf_counter() - started)
    rows = window.model.rowCount()
    window.close()
    QApplication.processEvents()
    return {
        "rows": rows,
        "frame_ms_median": 1000 * statistics.median(frames),
        "frame_ms_max": 1000 * max(frames),
        "screen_load_ms_median": 1000 * statistics.median(loads),
        "screen_load_ms_max": 1000 * max(loads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--distinct", type=int, default=500, help="different thumbnails in the cache")
    parser.add_argument("--scroll", type=int, default=0, help="also time scrolling a grid of this many photos")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-startup")
    args = parser.parse_args()

    home = args.workdir / f"home-{args.photos}"
    build_library(home, args.photos, args.distinct)
    build_library(home, args.photos, args.distinct)
    startup_run(home)  # warm the OS file cache, as on a second launch
    runs = [startup_run(home) for _ in range(args.runs)]
    print(f"start-up on {runs[0]['rows']:,} photos, {args.runs} runs (a fresh process each, 1280x800 window):")
    print(f"  launch to first paint:           median {statistics.median(r['first_paint_s'] for r in runs):.2f} s "
          f"(min {min(r['first_paint_s'] for r in runs):.2f}, max {max(r['first_paint_s'] for r in runs):.2f})")
    print(f"  launch to visible thumbnails:    median {statistics.median(r['thumbnails_s'] for r in runs):.2f} s "
          f"({runs[0]['visible']} cells on screen)")
    print(f"  torch imported at first paint:   {any(r['torch_at_paint'] for r in runs)}")
    print(f"  idle window memory (RSS):        median {statistics.median(r['idle_rss_mib'] for r in runs):.0f} MiB")

    if args.scroll:
        scroll_home = args.workdir / f"home-{args.scroll}"
        build_library(scroll_home, args.scroll, args.distinct)
        figures = bench_scroll(scroll_home)
        print(f"scrolling {figures['rows']:,} photos, 40 jumps across the grid:")
        print(f"  paint one frame:                 median {figures['frame_ms_median']:.1f} ms, max {figures['frame_ms_max']:.1f} ms")
        print(f"  load a new screen's thumbnails:  median {figures['screen_load_ms_median']:.0f} ms, max {figures['screen_load_ms_max']:.0f} ms")


if __name__ == "__main__":
    main()
