"""The Settings dialog in a user's words (issue 12, 14): model sizes as `models list` says,
which models are installed, no "θ" or "attention artifacts", the measured noise level shown
after indexing measured it, the View menu's theme in step, check boxes visible when dark."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QWidget

from photo_organizer.app.library_service import LibraryService
from photo_organizer.cli.models import model_rows
from photo_organizer.models import itae
from photo_organizer.models.weights import InstalledWeights
from photo_organizer.ui.app import launch
from photo_organizer.ui.dialogs import SettingsDialog
from photo_organizer.ui.settings import UiSettings
from photo_organizer.ui.theme import apply_theme


def visible_words(dialog: QWidget) -> str:
    texts = [w.text() for w in dialog.findChildren(QLabel) + dialog.findChildren(QCheckBox)]
    texts += [w.toolTip() for w in dialog.findChildren(QWidget)]
    return "\n".join(texts)


def test_models_show_the_sizes_of_models_list_and_whether_they_are_installed(qtbot, ctx, monkeypatch, tmp_path):
    from photo_organizer.models.registry import get_spec

    spec = get_spec("ViT-B-16")
    fake = InstalledWeights(spec, tmp_path, "0" * 64, "import", "file", 0.0, 123_400_000)
    known = [s for s, _ in ctx.models.listing()]
    monkeypatch.setattr(ctx.models, "installed", lambda s: fake if s.name == spec.name else None)
    monkeypatch.setattr(ctx.models, "listing", lambda: [(s, ctx.models.installed(s)) for s in known])
    rows = {row["name"]: row for row in model_rows(ctx)}
    dialog = SettingsDialog(LibraryService(ctx), UiSettings(ctx.home.root / "window.ini"))
    qtbot.addWidget(dialog)
    for combo in (dialog.clip_model, dialog.dino_model):
        for i in range(combo.count()):
            name = combo.itemData(i)
            if name is None:
                continue  # "Off"
            row = rows[name]
            state = "installed" if row["installed"] else "not installed"
            assert combo.itemText(i) == f"{name} · {row['size_mb']:,} MB · {state}"
    assert dialog.clip_model.itemText(dialog.clip_model.findData("ViT-B-16")) == "ViT-B-16 · 123 MB · installed"
    words = visible_words(dialog)
    assert "θ" not in words and "attention artifacts" not in words.lower()


def test_the_noise_level_measured_while_indexing_shows(qtbot, ctx):
    backend = LibraryService(ctx)
    ui_settings = UiSettings(ctx.home.root / "window.ini")
    dialog = SettingsDialog(backend, ui_settings)
    qtbot.addWidget(dialog)
    assert dialog.itae_threshold.text() == "not measured yet"

    # what indexing's automatic calibration stores: a tiny θ must not read as 0
    itae.save_settings(ctx.library, itae.ITAESettings(enabled=True, threshold=3.2109e-05, calibrated_for="vit_small_patch14_dinov2"))
    dialog = SettingsDialog(backend, ui_settings)
    qtbot.addWidget(dialog)
    assert dialog.itae_threshold.text() == "0.000032109"
    dialog.apply()  # unchanged: every digit kept
    assert itae.load_settings(ctx.library).threshold == 3.2109e-05

    itae.save_settings(ctx.library, itae.ITAESettings(enabled=False, threshold=None, calibrated_for="vit_small_patch14_dinov2"))
    dialog = SettingsDialog(backend, ui_settings)
    qtbot.addWidget(dialog)
    assert dialog.itae_threshold.text() == "measured: none needed for this model"


def test_the_view_menu_follows_the_theme_chosen_in_settings(qtbot, ctx, monkeypatch):
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    assert window.theme_actions["dark"].isChecked()

    def choose_light(dialog):
        dialog.theme.setCurrentIndex(dialog.theme.findText("Light"))
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", choose_light)
    window.open_settings()
    assert window.ui_settings.theme == "light"
    assert window.theme_actions["light"].isChecked() and not window.theme_actions["dark"].isChecked()
    window.set_theme("dark")


def test_check_boxes_are_visible_in_the_dark_theme(qtbot):
    apply_theme(QApplication.instance(), "dark")
    box = QCheckBox("Refine after every like or dislike")
    qtbot.addWidget(box)
    box.resize(260, 30)
    image = box.grab().toImage()
    background = QColor(QApplication.palette().color(box.backgroundRole()))
    y = box.height() // 2
    edge = max((image.pixelColor(x, y) for x in range(2, 20)), key=lambda c: c.lightness())
    assert edge.lightness() - background.lightness() > 40  # the box's outline stands out
