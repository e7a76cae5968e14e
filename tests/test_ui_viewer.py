"""The viewer (issue 12, 10): zoom with the wheel and + / -, fit and actual size, full screen;
a small image at its real size; the file date when the photo has none; small files in KB; a
missing file explained in plain words; and "Open with system viewer" when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QDesktopServices, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from photo_organizer.ui.app import launch
from photo_organizer.ui.viewer import ViewerDialog
from tests.ui_support import index_folder

SHOTS = Path("/tmp/shots/flows-c")


@pytest.fixture
def photos(ctx, tmp_path) -> dict[str, Path]:
    """A small PNG and a large JPEG, neither with a date of its own."""
    folder = tmp_path / "photos"
    folder.mkdir()
    small, large = folder / "small.png", folder / "large.jpg"
    Image.effect_noise((120, 90), 64).convert("RGB").save(small)  # a few KB
    Image.linear_gradient("L").resize((2400, 1600)).convert("RGB").save(large, quality=90)
    index_folder(ctx, folder)
    return {"small": small, "large": large}


def open_viewer(qtbot, ctx, name: str):
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    row = next(r for r in range(window.model.rowCount()) if window.model.index(r).data().startswith(name))
    viewer = ViewerDialog(window.backend, window.model, row, feedback_enabled=False, parent=window)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is viewer, timeout=5000)
    return window, viewer


def wheel(widget, steps: int) -> None:
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget.viewport(), event)


def test_a_small_photo_keeps_its_size_and_zooms_with_keys_and_wheel(qtbot, ctx, photos):
    _, viewer = open_viewer(qtbot, ctx, "small")
    qtbot.waitUntil(lambda: viewer.image.has_picture() and viewer._loading_for is not None, timeout=5000)
    assert viewer.image.shown_size() == QSize(120, 90)  # not blown up to the window
    assert viewer.zoom_label.text() == "Fit (100%)"
    QTest.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.image.shown_size() == QSize(150, 113) and viewer.zoom_label.text() == "125%"
    QTest.keyClick(viewer, Qt.Key.Key_Minus)
    assert viewer.zoom_label.text() == "100%"
    wheel(viewer.image, 2)
    assert viewer.image.scale() == pytest.approx(1.5625)
    QTest.keyClick(viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert viewer.zoom_label.text() == "Fit (100%)"
    assert "file date" in viewer.fields["date"].text()  # a PNG without a date of its own
    assert viewer.fields["size"].text().startswith("120 × 90 px, ") and viewer.fields["size"].text().endswith(" KB")


def test_a_large_photo_fits_then_shows_at_actual_size_and_full_screen(qtbot, ctx, photos):
    _, viewer = open_viewer(qtbot, ctx, "large")
    qtbot.waitUntil(viewer.image.has_picture, timeout=5000)
    room = viewer.image.viewport().size()
    shown = viewer.image.shown_size()
    assert shown.width() <= room.width() and shown.height() <= room.height()
    assert viewer.zoom_label.text().startswith("Fit (") and viewer.image.scale() < 0.5
    QTest.keyClick(viewer, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert viewer.image.shown_size() == QSize(2400, 1600) and viewer.zoom_label.text() == "100%"
    assert viewer.image.horizontalScrollBar().maximum() > 0  # scrolls around the photo
    QTest.keyClick(viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(viewer.isFullScreen, timeout=3000)
    QTest.keyClick(viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not viewer.isFullScreen(), timeout=3000)
    QTest.keyClick(viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    viewer.grab().save(str(SHOTS / "viewer_large_fit.png")) if SHOTS.is_dir() else None


def test_a_missing_file_says_so_in_plain_words(qtbot, ctx, photos, monkeypatch):
    photos["small"].unlink()
    window, viewer = open_viewer(qtbot, ctx, "small")
    text = viewer.image.picture.text()
    assert text.startswith(f"This photo is no longer at {photos['small']}.")
    assert "drive may be unplugged, or it was moved or deleted" in text
    assert "FileNotFoundError" not in text and viewer.image.picture.wordWrap()
    viewer.grab().save(str(SHOTS / "viewer_missing_file.png")) if SHOTS.is_dir() else None

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append(text))
    window.grid.select_row(window.model.row_of(viewer.current_photo_id()))
    window.open_external()
    assert said and said[-1].startswith("This photo is no longer at")


def test_open_with_system_viewer_says_when_there_is_none(qtbot, ctx, photos, monkeypatch):
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append((title, text)))
    window.grid.select_row(0)
    window.open_external()
    assert said and said[0][0] == "No viewer for this photo" and "Show in folder" in said[0][1]
