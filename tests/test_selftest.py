"""The self-test, in-process: the real pipeline with random weights on a tiny generated library."""

from __future__ import annotations

import io
import os

import pytest

from photo_organizer.cli.main import main
from photo_organizer.environment import RANDOM_WEIGHTS_ENV, WEIGHTS_PATH_ENV
from photo_organizer.home import DataHome
from photo_organizer.models.provider import ModelProvider
from photo_organizer.selftest import run_self_test

STEPS = ["environment", "models", "photos", "index", "embeddings", "search", "onnx text", "feedback", "albums", "faces"]


@pytest.mark.slow
def test_self_test_passes_every_step_with_random_weights(tmp_path, monkeypatch):
    monkeypatch.delenv(RANDOM_WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(WEIGHTS_PATH_ENV, raising=False)
    out = io.StringIO()
    report = run_self_test(
        random_weights=True,
        user_models=ModelProvider(DataHome(tmp_path / "user-home")),
        models={"dino": "vit_small_patch14_dinov2"},  # the smallest DINOv2 keeps this test short
        per_class=5,
        classes=3,
        keep=tmp_path / "library",
        out=out,
    )
    text = out.getvalue()
    assert report.passed, text
    assert [step.name for step in report.steps] == STEPS
    assert "RANDOM weights" in text and "self-test passed: 10 steps" in text
    assert "15 photos read" in text
    # the self-test steers its models through its own provider, never the environment
    assert RANDOM_WEIGHTS_ENV not in os.environ and WEIGHTS_PATH_ENV not in os.environ
    assert (tmp_path / "library" / "home" / "library.db").is_file()


def test_without_weights_the_models_step_fails_and_names_the_fix(tmp_path, capsys):
    code = main(["--home", str(tmp_path / "home"), "self-test"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL models" in out
    assert "photo-organizer models import" in out and "--random-weights" in out
    assert "self-test FAILED: 2 steps" in out
    assert not list((tmp_path / "home").glob("*.db")), "the user's data home must not get a library"


def test_installed_weights_of_another_model_are_used_when_the_default_is_missing(tmp_path):
    from photo_organizer.selftest import choose_models

    home = DataHome.open(tmp_path / "home")
    folder = home.weights_dir / "vit_small_patch14_dinov2"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"")
    (folder / "manifest.json").write_text('{"name": "vit_small_patch14_dinov2", "sha256": "00"}')
    clip = home.weights_dir / "ViT-B-32"
    clip.mkdir()
    (clip / "model.safetensors").write_bytes(b"")
    (clip / "manifest.json").write_text('{"name": "ViT-B-32", "sha256": "00"}')
    assert choose_models(ModelProvider(home), random_weights=False, requested=None) == {
        "clip": "ViT-B-32",
        "dino": "vit_small_patch14_dinov2",
    }


def _load_launcher():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "packaging" / "launcher.py"
    spec = importlib.util.spec_from_file_location("bundle_launcher", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_window_step_opens_the_window_offscreen_and_saves_a_screenshot(tmp_path, qapp):
    from photo_organizer.context import AppContext
    from photo_organizer.indexer import index_library
    from photo_organizer.progress import drain
    from photo_organizer.sample_photos import make_labelled_folder
    from photo_organizer.thumbnails import ThumbnailCache

    make_labelled_folder(tmp_path / "photos", per_class=2, size=(160, 120), classes=["beach", "forest"])
    ctx = AppContext.open(tmp_path / "home")
    ctx.library.add_root(tmp_path / "photos")
    thumbnails = ThumbnailCache(ctx.home.thumbnails_path)
    drain(index_library(ctx.library, thumbnails))
    thumbnails.close()
    ctx.close()

    detail = _load_launcher().window_step(tmp_path / "home")
    assert "1280x800 screenshot" in detail
    assert (tmp_path / "home" / "self-test-window.png").stat().st_size > 10_000


def test_launcher_tells_the_command_line_from_the_window_by_name(monkeypatch):
    launcher = _load_launcher()
    monkeypatch.setattr("sys.argv", ["/opt/PhotoOrganizer/photo-organizer", "status"])
    assert launcher.started_as_command_line()
    monkeypatch.setattr("sys.argv", ["/opt/PhotoOrganizer/PhotoOrganizer"])
    assert not launcher.started_as_command_line()
