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


def test_place_and_event_filters(searchable, ctx, capsys):
    """`--place` matches a country, region or city in any case; `--event` an event's photos."""

    ids, _ = searchable
    paris = {"country_code": "FR", "country": "France", "region": "Île-de-France", "city": "Paris", "distance_km": 1.0}
    with ctx.library.transaction():
        ctx.library.put_places([{"photo_id": pid, "lat": 48.86, "lon": 2.35, **paris} for pid in ids[:4]])
        ctx.library.replace_events([{
            "id": None, "start_local": "2019-07-14T10:00:00", "end_local": "2019-07-14T12:00:00",
            "start_sort": "2019-07-14T10:00:00", "end_sort": "2019-07-14T12:00:00", "place": None, "label": None,
            "title": "Sun 14 July 2019", "cover_photo_id": ids[12], "photo_count": 3, "photo_ids": ids[12:15]}])
    event_id = ctx.library.list_events()[0].id
    in_paris = run_json(capsys, "red car", "--place", "ÎLE-DE-FRANCE", "--no-cutoff")
    assert sorted(r["photo_id"] for r in in_paris["results"]) == sorted(ids[:4])
    assert in_paris["view"]["filters"]["place"] == "ÎLE-DE-FRANCE"
    in_event = run_json(capsys, "red car", "--event", str(event_id), "--no-cutoff")
    assert sorted(r["photo_id"] for r in in_event["results"]) == sorted(ids[12:15])
    assert main(["search", "red car", "--place", "Atlantis"]) == 1
    assert "No photo was taken in a place called 'Atlantis'" in capsys.readouterr().err
