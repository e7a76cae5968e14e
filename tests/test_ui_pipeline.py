"""The window runs the one index pipeline (with its fast text search) and calibrates ITAE
through the same core entry point as `itae calibrate`. Random weights, smallest DINOv2."""

from __future__ import annotations

import pytest

from photo_organizer.models.registry import set_active_model
from photo_organizer.ui.app import launch
from photo_organizer.ui.job_names import CALIBRATION, INDEXING
from tests.ui_support import indexed_library


@pytest.fixture
def random_window(qtbot, random_ctx, tmp_path):
    set_active_model(random_ctx.library, "vit_small_patch14_dinov2")
    indexed_library(random_ctx, tmp_path / "photos", per_class=1)
    window = launch(random_ctx, scan_on_start=False)
    qtbot.addWidget(window)
    return window


@pytest.mark.slow
def test_indexing_from_the_window_shows_steps_and_makes_text_search_fast(qtbot, random_ctx, random_window):
    window = random_window
    labels: list[str] = []
    finished: list[str] = []
    window.jobs.progress.connect(lambda name, progress: labels.append(progress.label))
    window.jobs.finished.connect(lambda name, result: finished.append(name))
    window.start_indexing()
    qtbot.waitUntil(lambda: INDEXING in finished, timeout=300000)
    assert "Preparing search" in labels and "Making search instant" in labels
    assert list((random_ctx.home.root / "onnx").glob("*/text_tower.onnx")), "the window exports the text tower too"
    assert window.job_status.bar.maximum() == 1000  # one overall bar across the steps
    assert "Library up to date" in window.statusBar().currentMessage()


@pytest.mark.slow
def test_calibrate_from_the_window_says_what_it_found(qtbot, random_window):
    window = random_window
    finished: list[str] = []
    failed: list[str] = []
    window.jobs.finished.connect(lambda name, result: finished.append(name))
    window.jobs.failed.connect(lambda name, message: failed.append(message))
    window.start_calibration()
    qtbot.waitUntil(lambda: CALIBRATION in finished or bool(failed), timeout=300000)
    assert not failed
    message = window.statusBar().currentMessage()
    assert "tokens flagged" in message or "Not bimodal: ITAE stays off" in message
