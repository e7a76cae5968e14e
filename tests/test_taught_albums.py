from __future__ import annotations

import json

import numpy as np
import pytest

from photo_organizer.albums import store as album_store
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.cli.main import main
from photo_organizer.evaluation.taught import evaluate_taught_job, format_report, split_later
from photo_organizer.home import DataHome
from photo_organizer.progress import drain
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.storage import Library
from photo_organizer.taught import albums as taught
from photo_organizer.taught.predictor import predicted_liked
from tests.albums_helpers import CLIP_KEY, DINO_KEY, add_featured_photos, clustered_features


def test_feedback_beats_no_feedback_on_class_structured_vectors():
    features, labels = clustered_features([60] * 6, dim=48, spread=1.3, seed=5)
    evaluation = drain(evaluate_taught_job(features, labels, shown=10, rounds=3, queries=30))
    nn1, none = evaluation.scores["nn1"], evaluation.scores["none"]
    assert evaluation.later == 120 and evaluation.queries == 30
    assert nn1[2]["precision"] > none[2]["precision"] + 0.1
    assert nn1[2]["precision"] > nn1[0]["precision"]  # each round teaches it more
    assert nn1[2]["later_recall"] > none[2]["later_recall"]  # later photos of the class join
    assert nn1[2]["later_precision"] > none[2]["later_precision"]  # and fewer others do
    assert "later_recall" in format_report(evaluation)


def test_a_third_of_each_class_arrives_later():
    labels = np.repeat([0, 1, 2], [9, 6, 3])
    later = split_later(labels, np.random.default_rng(0))
    assert [int(later[labels == c].sum()) for c in range(3)] == [3, 2, 1]


# ---- the album in a library ------------------------------------------------------------------


@pytest.fixture
def library():
    lib = Library.in_memory()
    yield lib
    lib.close()


def classes_in_library(library, sizes=(20, 20, 20), seed=11):
    features, labels = clustered_features(list(sizes), dim=32, spread=0.5, seed=seed)
    ids = np.array(add_featured_photos(library, features, model_key=CLIP_KEY))
    return ids, features, labels


def taught_album(library, ids, features, labels, marks=None):
    query_row = 0  # a photo of class 0 is the query ("more like this")
    marks = marks or {int(ids[1]): 1, int(ids[2]): 1, int(ids[25]): -1}
    return taught.create_from_session(
        library, "Class zero", session_id=None, query={"text": None, "photo_id": int(ids[query_row]), "image_path": None},
        parts=[features[query_row]], options=FeedbackOptions(), marks=marks, model_key=CLIP_KEY,
    )


def test_members_are_what_the_predictor_likes_and_new_photos_join_unconfirmed(library):
    ids, features, labels = classes_in_library(library)
    album_id = taught_album(library, ids, features, labels)
    details = taught.describe(library, album_id)
    members = {m["id"] for m in details["members"]}
    assert members == set(ids[labels == 0].tolist())
    assert details["liked"] == [int(ids[1]), int(ids[2])] and details["disliked"] == [int(ids[25])]
    assert details["new"] == [] and taught.pending_count(library) == 0

    # New photos of every class arrive: only class 0 joins, as unconfirmed newcomers.
    more, more_labels = clustered_features([5, 5, 5], dim=32, spread=0.5, seed=11, point_seed=2)
    new_ids = np.array(add_featured_photos(library, more, model_key=CLIP_KEY))
    assert taught.pending_count(library) == 15
    report = drain(taught.update_taught_albums_job(library))
    assert sorted(report.joined[album_id]) == new_ids[more_labels == 0].tolist()
    assert taught.describe(library, album_id)["new"] == new_ids[more_labels == 0].tolist()
    assert taught.pending_count(library) == 0

    taught.confirm(library, album_id, [int(new_ids[0])])
    details = taught.describe(library, album_id)
    assert int(new_ids[0]) not in details["new"] and len(details["new"]) == 4


def test_rejecting_teaches_and_adding_teaches(library):
    ids, features, labels = classes_in_library(library)
    album_id = taught_album(library, ids, features, labels)
    some_member = int(ids[5])
    taught.reject(library, album_id, [some_member])
    details = taught.describe(library, album_id)
    assert some_member in details["disliked"] and some_member not in {m["id"] for m in details["members"]}
    stranger = int(ids[45])  # class 2
    taught.add(library, album_id, [stranger])
    details = taught.describe(library, album_id)
    sources = {m["id"]: m["source"] for m in details["members"]}
    assert sources[stranger] == "example" and stranger in details["liked"]
    assert album_store.get_album(library, album_id).size == len(sources)
    # Teaching that a class-2 photo belongs brings its look-alikes in, unconfirmed.
    assert len(set(ids[labels == 2].tolist()) & set(details["new"])) >= 10
    assert not set(ids[labels == 1].tolist()) & set(details["new"])
    with pytest.raises(Exception, match="not in album"):
        taught.reject(library, album_id, [int(ids[30])])  # class 1: never in


def test_the_predictor_needs_a_predicting_method_and_marks(library):
    ids, features, labels = classes_in_library(library)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    with pytest.raises(Exception, match="method"):
        predicted_liked(ids, unit, unit[:1], {int(ids[1]): 1}, FeedbackOptions(method="rocchio"))
    with pytest.raises(Exception, match="at least one"):
        predicted_liked(ids, unit, unit[:1], {}, FeedbackOptions())


def test_reclustering_never_touches_a_taught_album(library):
    ids, features, labels = classes_in_library(library, sizes=(30, 30, 30))
    library.put_embeddings(DINO_KEY, ids.tolist(), features)
    album_id = taught_album(library, ids, features, labels)
    before = taught.describe(library, album_id)
    drain(recluster_job(library, DINO_KEY))
    after = taught.describe(library, album_id)
    assert after == before and album_store.get_album(library, album_id).name == "Class zero"
    auto = [a for a in album_store.list_albums(library) if a.id != album_id]
    assert auto and sum(a.size for a in auto) > 0  # the clustering ran and left the taught album alone
    assert library.taught_album_ids() == [album_id]


# ---- command line ------------------------------------------------------------------------------


def test_create_show_confirm_reject_from_the_command_line(home, monkeypatch, capsys):
    from photo_organizer.search.query import SearchQuery
    from photo_organizer.search.session import SessionStore

    library = Library(DataHome.open(home).database_path)
    ids, features, labels = classes_in_library(library)
    session_id = SessionStore(library).create(
        SearchQuery(photo_id=int(ids[0])), FeedbackOptions(), {int(ids[1]): 1, int(ids[25]): -1}
    )
    library.close()

    class FakeEncoder:  # the session's query is a library photo: no text to encode
        model_key = CLIP_KEY

    from photo_organizer.search import engine as engine_module

    monkeypatch.setattr(
        engine_module.SearchEngine, "open",
        classmethod(lambda cls, home, library, **kw: cls(library, FakeEncoder())),
    )
    assert main(["albums", "create", "--from-session", str(session_id), "--name", "Zero", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    album_id = created["album"]["id"]
    assert created["taught"]["liked"] == [int(ids[1])] and created["album"]["size"] == 20

    assert main(["albums", "reject", str(album_id), str(int(ids[3]))]) == 0
    assert main(["albums", "remove", str(album_id), str(int(ids[4]))]) == 0  # teaches it too
    assert "disliked examples now" in capsys.readouterr().out
    assert main(["albums", "show", str(album_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert int(ids[3]) in shown["taught"]["disliked"] and int(ids[3]) not in [p["id"] for p in shown["photos"]]
    assert int(ids[4]) in shown["taught"]["disliked"] and int(ids[4]) not in [p["id"] for p in shown["photos"]]
    assert main(["albums", "show", str(album_id)]) == 0
    assert "Taught by example: 1 liked, 3 disliked" in capsys.readouterr().out
    assert main(["albums", "confirm", str(album_id)]) == 0
    assert main(["albums", "reject", str(album_id), "999"]) == 1


@pytest.mark.slow
def test_eval_taught_albums_on_a_labelled_folder(ctx, tmp_path, monkeypatch, capsys):
    """The real CLIP architecture with random weights: only the report's shape is asserted."""
    from photo_organizer.environment import RANDOM_WEIGHTS_ENV
    from photo_organizer.sample_photos import make_labelled_folder

    monkeypatch.setenv(RANDOM_WEIGHTS_ENV, "1")
    folder = tmp_path / "labelled"
    make_labelled_folder(folder, per_class=6, size=(64, 48), classes=["beach", "forest", "snow"])
    assert main(["eval", "taught-albums", str(folder), "--shown", "3", "--rounds", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["images"] == 18 and data["later"] == 6 and data["queries"] == 12 and data["rounds"] == 2
    assert set(data["scores"]) == {"none", "nn1"} and len(data["scores"]["nn1"]) == 2
    assert set(data["scores"]["nn1"][0]) == {"precision", "recall", "album_size", "later_recall", "later_precision"}
    assert main(["eval", "taught-albums", str(folder), "--shown", "3", "--rounds", "2"]) == 0  # cached embeddings
    assert "later_recall" in capsys.readouterr().out
