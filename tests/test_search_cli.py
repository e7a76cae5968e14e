"""`photo-organizer search`: text and JSON output, sessions, and no torch on a cached query.

The library holds stored vectors under the random-weights CLIP key and the query's vector is
in the query cache, so no model is needed (models are tested in their own tier).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from photo_organizer.cli.main import main
from photo_organizer.environment import RANDOM_WEIGHTS_ENV
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP
from photo_organizer.search.query_encoding import CACHE_FILE, TEXT, QueryCache
from tests.conftest import RANDOM_WEIGHTS
from tests.search_fakes import add_photos

RESULT_FIELDS = {"photo_id", "path", "rank", "score", "similarity", "predicted", "mark", "date"}
TOP_FIELDS = {
    "session", "round", "query", "model_key", "options", "view", "marks", "library_size",
    "hidden", "encoded_by", "timings_ms", "results",
}


@pytest.fixture
def searchable(ctx, monkeypatch):
    """A library of 40 photos with 512-d vectors in three groups, and a cached text query."""
    monkeypatch.setenv(RANDOM_WEIGHTS_ENV, "1")  # for the command line run in this process
    key = ModelProvider(ctx.home, RANDOM_WEIGHTS).active_key(ctx.library, CLIP)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 512))
    vectors = np.repeat(centres, [10, 10, 20], axis=0) + 0.5 * rng.standard_normal((40, 512))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    ids = add_photos(ctx.library, vectors, model_key=key)
    text = centres[0] / np.linalg.norm(centres[0])
    QueryCache(ctx.home.cache_dir / CACHE_FILE).put(key, TEXT, "red car", text.astype(np.float32))
    return ids, key


def run_json(capsys, *argv: str) -> dict:
    capsys.readouterr()
    assert main(["search", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_output_has_the_documented_fields(searchable, ctx, capsys):
    ids, key = searchable
    data = run_json(capsys, "red car", "--limit", "5")
    assert set(data) == TOP_FIELDS
    assert data["model_key"] == key and data["round"] == 0 and data["encoded_by"] == "cache"
    assert data["library_size"] == 40 and data["query"]["text"] == "red car"
    assert len(data["results"]) == 5
    for result in data["results"]:
        assert set(result) == RESULT_FIELDS
        assert result["photo_id"] in ids[:10]  # the first group is the red cars
    assert [r["rank"] for r in data["results"]] == [1, 2, 3, 4, 5]
    assert {"encode_ms", "score_ms", "rerank_ms"} <= set(data["timings_ms"])


def test_feedback_on_the_command_line_and_a_resumed_session(searchable, capsys):
    ids, _ = searchable
    first = run_json(capsys, "red car", "--like", str(ids[10]), "--dislike", str(ids[20]), "--no-cutoff", "--limit", "40")
    assert first["marks"] == {str(ids[10]): "liked", str(ids[20]): "disliked"}
    predicted = {r["photo_id"]: r["predicted"] for r in first["results"]}
    # The query counts as liked (its own group), so does the liked photo's group.
    assert predicted[ids[1]] == "liked" and predicted[ids[11]] == "liked" and predicted[ids[21]] == "disliked"
    assert first["options"]["method"] == "nn1"

    session = str(first["session"])
    refined = run_json(capsys, "--session", session, "--like", str(ids[12]), "--method", "linear")
    assert refined["session"] == first["session"] and refined["round"] == 1
    assert refined["options"]["method"] == "linear"
    assert refined["marks"][str(ids[12])] == "liked"
    assert refined["view"]["cutoff_z"] is None  # the saved view is kept

    capsys.readouterr()
    assert main(["search", "--sessions"]) == 0
    listing = capsys.readouterr().out
    assert f"{first['session']:>5}  round 1  linear" in listing


def test_text_output_shows_id_score_preference_and_path(searchable, capsys):
    ids, _ = searchable
    capsys.readouterr()
    assert main(["search", "red car", "--like", str(ids[1]), "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "rank" in out and "score" in out and "pred" in out and "path" in out
    assert "liked" in out and "/photos/all/photo_" in out
    assert "--session" in out


def test_bad_requests_exit_with_a_message(searchable, capsys):
    assert main(["search", "--session", "999"]) == 1
    assert "no search session 999" in capsys.readouterr().err
    assert main(["search", "red car", "--like", "1", "--dislike", "1"]) == 1
    assert "both liked and disliked" in capsys.readouterr().err
    assert main(["search", "red car", "--from", "yesterday"]) == 1
    assert "not a date" in capsys.readouterr().err


def test_a_cached_search_does_not_import_torch(searchable, ctx):
    code = (
        "import sys, json; from photo_organizer.cli.main import main;"
        "assert main(['search', 'red car', '--json']) == 0;"
        "print('HEAVY', [m for m in ('torch', 'open_clip', 'onnxruntime') if m in sys.modules], file=sys.stderr)"
    )
    env = {"PHOTO_ORGANIZER_HOME": str(ctx.home.root), RANDOM_WEIGHTS_ENV: "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stderr
    assert json.loads(result.stdout)["encoded_by"] == "cache"
