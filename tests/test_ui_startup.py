"""Start-up in a fresh process: the window is on screen before torch is imported, and the
screenshot mode writes a PNG of the loaded window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from PIL import Image

from tests.ui_support import indexed_library

PROBE = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtTest import QTest
    from photo_organizer.context import AppContext
    from photo_organizer.ui.app import application, launch

    app = application()
    window = launch(AppContext.open(sys.argv[1]))
    QTest.qWaitForWindowExposed(window)
    app.processEvents()
    print(json.dumps({"visible": window.isVisible(), "rows": len(window.model.contents), "torch": "torch" in sys.modules}))
    window.close()
    """
)


def run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_window_is_visible_before_torch_is_imported(ctx, tmp_path):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    result = run(["-c", PROBE, str(ctx.home.root)])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown == {"visible": True, "rows": 6, "torch": False}


def test_screenshot_mode_writes_a_png(ctx, tmp_path):
    indexed_library(ctx, tmp_path / "photos", per_class=1)
    ctx.close()
    target = tmp_path / "shots" / "window.png"
    result = run(["-m", "photo_organizer", "--home", str(ctx.home.root), "gui", "--screenshot", str(target)])
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 10_000
    with Image.open(target) as image:
        assert image.size == (1280, 800)
        # Thumbnails were loaded before the shot: the grid holds strongly coloured pixels.
        colours = image.convert("RGB").crop((300, 100, 1280, 400)).getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50
