"""`photo-organizer eval feedback DIR` end to end: the real CLIP architecture (random weights)
embeds a small labelled folder, then the protocol runs for the methods asked for."""

from __future__ import annotations

import json

import pytest

from photo_organizer.cli.main import main
from photo_organizer.environment import RANDOM_WEIGHTS_ENV

pytestmark = pytest.mark.slow


def test_eval_feedback_on_a_labelled_folder(ctx, tmp_path, monkeypatch, capsys):
    from photo_organizer.sample_photos import make_labelled_folder

    monkeypatch.setenv(RANDOM_WEIGHTS_ENV, "1")
    folder = tmp_path / "labelled"
    make_labelled_folder(folder, per_class=3, size=(64, 48), classes=["beach", "forest"])
    (folder / "beach" / "broken.jpg").write_bytes(b"not an image")
    argv = ["eval", "feedback", str(folder), "--methods", "none", "nn1", "linear", "--shown", "2", "--rounds", "2"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["images"] == 6 and data["classes"] == 2 and data["query_kind"] == "image"
    assert set(data["scores"]) == {"none", "nn1", "linear"}
    rounds = data["scores"]["nn1"]["kept"]
    assert len(rounds) == 3 and rounds[0]["queries"] == 6 and 0.0 <= rounds[0]["MAP@R"] <= 1.0
    assert [item["path"] for item in data["unreadable"]] == [str(folder / "beach" / "broken.jpg")]
    assert data["model_key"].startswith("clip:ViT-B-32:random")
    # The second run reads the cached embeddings and prints the side-by-side tables.
    assert main([*argv, "--text-queries"]) == 0
    out = capsys.readouterr().out
    assert "text queries" in out and "rated images removed" in out and "round 2" in out
