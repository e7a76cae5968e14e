"""Issue 12, 16: transparent images on checkers, a selection that leaves the photo visible, a
Rename dialog wide enough for its title, export starting in Pictures, "Recompute albums" saying
when it is done, and quitting during indexing asking first."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QRect, QStandardPaths
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QStyle,
    QStyleOptionViewItem,
)

from photo_organizer.progress import Progress
from photo_organizer.thumbnails import ThumbnailCache
from photo_organizer.ui.app import launch
from photo_organizer.ui.delegate import PhotoDelegate
from photo_organizer.ui.dialogs import ask_text
from photo_organizer.ui.job_names import INDEXING
from photo_organizer.ui.workers import JobRequest
from tests.test_ui_model import make_model
from tests.ui_support import index_folder, insert_photos


def test_a_transparent_png_gets_a_checkered_thumbnail_not_a_white_tile(ctx, tmp_path):
    folder = tmp_path / "wallpapers"
    folder.mkdir()
    wallpaper = Image.new("RGBA", (200, 120), (255, 255, 255, 0))  # white, fully transparent...
    wallpaper.paste((255, 255, 255, 255), (80, 40, 120, 80))  # ...but a white square
    wallpaper.save(folder / "wallpaper.png")
    index_folder(ctx, folder)
    photo_id = ctx.library.photo_ids()[0]
    cache = ThumbnailCache(ctx.home.thumbnails_path)
    try:
        thumbnail = Image.open(io.BytesIO(cache.get(ctx.library.fingerprint_of(photo_id)))).convert("RGB")
    finally:
        cache.close()
    corner = [thumbnail.getpixel((x, y)) for x, y in ((2, 2), (10, 2), (2, 10))]
    assert all(max(pixel) < 225 for pixel in corner)  # grey checkers where it is transparent
    assert len({pixel for pixel in corner}) > 1  # two greys: a checker pattern
    assert min(thumbnail.getpixel((thumbnail.width // 2, thumbnail.height // 2))) > 240  # the white square stays white


def test_a_selected_photo_stays_visible_under_an_outline_and_a_light_tint(qapp):
    model, thumbnails, _ = make_model(1)
    photo = QPixmap(160, 160)
    photo.fill(QColor(200, 30, 30))
    thumbnails.pixmaps[100] = photo
    delegate = PhotoDelegate(160)
    delegate.feedback_enabled = False
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 172, 172)
    option.palette = QApplication.palette()
    option.state = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Enabled
    canvas = QImage(172, 172, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#17171a"))
    painter = QPainter(canvas)
    delegate.paint(painter, option, model.index(0))
    painter.end()
    assert canvas.pixelColor(86, 86) == QColor(200, 30, 30)  # the photo is untouched
    highlight = QApplication.palette().color(QPalette.ColorRole.Highlight)
    edge = canvas.pixelColor(86, 2)  # the outline above the photo
    assert abs(edge.blue() - highlight.blue()) < 40 and abs(edge.red() - highlight.red()) < 40
    between = canvas.pixelColor(86, 4)  # a light tint between outline and photo, not a solid fill
    assert between != highlight


def test_rename_dialog_is_wide_enough_for_its_title(qapp, monkeypatch):
    shown: list[tuple[str, int, int]] = []

    def fake_exec(dialog):
        dialog.show()
        QApplication.processEvents()
        shown.append((dialog.windowTitle(), dialog.width(), dialog.fontMetrics().horizontalAdvance(dialog.windowTitle())))
        dialog.hide()
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(QInputDialog, "exec", fake_exec)
    assert ask_text(None, "Rename album", "Name:", "Beach") == ("Beach", False)
    title, width, title_width = shown[0]
    assert title == "Rename album"
    assert width >= 360 and width >= title_width + 150  # room for the title beside the window buttons


def test_export_starts_in_pictures_and_recompute_albums_says_when_done(qtbot, ctx, monkeypatch):
    from tests.test_ui_albums import make_album

    ids = insert_photos(ctx.library, 4)
    album = make_album(ctx.library, ids)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    started_in: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, title, folder: started_in.append(folder) or "")
    window.export_album(album)
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    assert started_in == [pictures if Path(pictures).is_dir() else str(Path.home())]

    class Report:
        albums, new_albums, unsorted = 7, 2, 3

    def recluster(library):
        yield Progress("albums", 1, 1)
        return Report()

    monkeypatch.setattr(window.backend, "missing_weights", lambda: [])
    monkeypatch.setattr(window.backend, "recluster_job", lambda: recluster)
    window.recluster_action.trigger()
    qtbot.waitUntil(lambda: "Albums recomputed" in window.statusBar().currentMessage(), timeout=10000)
    assert window.statusBar().currentMessage() == "Albums recomputed: 7 albums (2 new); 3 photos in no album."


def test_quitting_while_indexing_asks_first(qtbot, ctx, monkeypatch):
    insert_photos(ctx.library, 2)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    release = threading.Event()

    def slow_indexing(library):
        yield Progress("read", 0, 10, label="Reading photos")
        release.wait(10)

    window.jobs.submit(JobRequest(INDEXING, slow_indexing))
    qtbot.waitUntil(lambda: window.job_status.isVisible(), timeout=5000)
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]
    def question(parent, title, text):
        asked.append(text)
        if answer[0] == QMessageBox.StandardButton.Yes:
            release.set()  # the job reaches its next step, where it is stopped
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    window.quit_action.trigger()
    assert asked == ["Indexing is running. Stop it and quit? The work done so far is kept."]
    assert window.isVisible()
    answer[0] = QMessageBox.StandardButton.Yes
    window.quit_action.trigger()
    assert len(asked) == 2 and not window.isVisible()
