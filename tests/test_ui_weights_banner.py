"""First run without model weights (issue 12, 15): one banner names both models (search and
albums), says how to get each online or offline, and opens the right one's dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from photo_organizer.models.registry import CLIP, DEFAULT_MODELS, DINO
from photo_organizer.ui.app import launch
from tests.ui_support import insert_photos

SHOTS = Path("/tmp/shots/flows-c")


def test_one_banner_covers_both_missing_models_with_the_steps(qtbot, ctx, monkeypatch):
    insert_photos(ctx.library, 3)
    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    banner = window.weights_banner
    assert banner.isVisible()
    clip, dino = DEFAULT_MODELS[CLIP], DEFAULT_MODELS[DINO]
    assert set(banner.model_labels) == {clip, dino}
    assert "Search and automatic albums need model files" in banner.heading.text()
    assert "Search" in banner.model_labels[clip].text() and "Automatic albums" in banner.model_labels[dino].text()
    assert "Online:" in banner.steps.text() and "Offline:" in banner.steps.text()
    if SHOTS.is_dir():
        window.grab().save(str(SHOTS / "weights_banner.png"))

    asked: list[str] = []
    monkeypatch.setattr(window, "show_missing_weights", lambda name: asked.append(name) or False)
    window.weights_banner.getRequested.disconnect()
    window.weights_banner.getRequested.connect(window.show_missing_weights)
    buttons = [b for b in banner.findChildren(type(banner.later_button)) if b.text() == "Get…"]
    assert len(buttons) == 2
    buttons[1].click()
    assert asked == [dino]

    banner.later_button.click()
    QApplication.processEvents()
    assert not banner.isVisible()
    window._show_missing_weights_notice()  # still missing, but the user said Later
    assert not banner.isVisible()
