"""The self-test, in-process: the real pipeline with random weights on a tiny generated library."""

from __future__ import annotations

import io
import os

import pytest

from photo_organizer.cli.main import main
from photo_organizer.home import DataHome
from photo_organizer.models.loading import RANDOM_WEIGHTS_ENV
from photo_organizer.models.weights import WEIGHTS_PATH_ENV
from photo_organizer.selftest import run_self_test

STEPS = ["environment", "models", "photos", "index", "embeddings", "search", "feedback", "albums"]


@pytest.mark.slow
def test_self_test_passes_every_step_with_random_weights(tmp_path, monkeypatch):
    monkeypatch.delenv(RANDOM_WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(WEIGHTS_PATH_ENV, raising=False)
    out = io.StringIO()
    report = run_self_test(
        random_weights=True,
        weights_home=DataHome(tmp_path / "user-home"),
        models={"dino": "vit_small_patch14_dinov2"},  # the smallest DINOv2 keeps this test short
        per_class=5,
        classes=3,
        keep=tmp_path / "library",
        out=out,
    )
    text = out.getvalue()
    assert report.passed, text
    assert [step.name for step in report.steps] == STEPS
    assert "RANDOM weights" in text and "self-test passed: 8 steps" in text
    assert "15 photos read" in text
    # the environment is given back as it was: no random weights, no extra weights folder
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
    assert choose_models(home, random_weights=False, requested=None) == {
        "clip": "ViT-B-32",
        "dino": "vit_small_patch14_dinov2",
    }
