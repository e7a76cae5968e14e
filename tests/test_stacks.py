from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import ImageFilter

from photo_organizer.cli.main import main
from photo_organizer.models.provider import ModelProvider
from photo_organizer.progress import drain
from photo_organizer.sample_photos import render
from photo_organizer.stacks import store
from photo_organizer.stacks.grouping import BURST, RAW_PAIR, Shot, find_stacks
from photo_organizer.stacks.job import pending_count, update_stacks_job
from photo_organizer.stacks.quality import best_of, measure_image
from photo_organizer.storage import Library
from tests.albums_helpers import DINO_KEY
from tests.stack_cases import SHARP_INDEX, make_burst_folder


def shot(photo_id, taken, name=None, camera="cam", folder="/p", file_time=None):
    stem, _, extension = (name or f"IMG_{photo_id}.jpg").rpartition(".")
    return Shot(photo_id, folder, stem.lower(), "." + extension.lower(), taken, file_time, camera)


def unit(vector):
    vector = np.asarray(vector, dtype=np.float32)
    return vector / np.linalg.norm(vector)


# ---- grouping on given vectors ----------------------------------------------------------------


def test_a_burst_needs_both_a_short_gap_and_a_similar_look():
    rng = np.random.default_rng(0)
    base = rng.standard_normal(64)
    burst = {pid: unit(base + 0.05 * rng.standard_normal(64)) for pid in range(1, 6)}
    vectors = {**burst, 6: unit(rng.standard_normal(64)), 7: burst[1], 8: burst[1]}
    shots = [shot(pid, 100.0 + 0.5 * (pid - 1)) for pid in range(1, 6)]
    shots += [
        shot(6, 101.2),  # same second, another subject
        shot(7, 100.0 + 60),  # same look a minute later
        shot(8, 100.5, camera="another camera"),  # same moment and look, other camera
    ]
    stacks = find_stacks(shots, vectors, threshold=0.9)
    assert [(s.photo_ids, s.kind) for s in stacks] == [([1, 2, 3, 4, 5], BURST)]


def test_a_long_burst_chains_beyond_the_gap():
    vectors = {pid: unit([1.0, 0.01 * pid]) for pid in range(1, 11)}
    stacks = find_stacks([shot(pid, 1.5 * pid) for pid in range(1, 11)], vectors, threshold=0.9, max_gap=2.0)
    assert [s.photo_ids for s in stacks] == [list(range(1, 11))]


def test_raw_and_jpeg_of_one_shot_pair_up_without_features():
    shots = [
        shot(1, 50.0, "IMG_1.JPG"),
        shot(2, None, "IMG_1.CR2", file_time=None),
        shot(3, 50.0, "IMG_2.JPG", file_time=10.0),
        shot(4, None, "img_2.dng", file_time=11.0),  # no capture time: file times decide
        shot(5, 50.0, "IMG_3.JPG", file_time=10.0),
        shot(6, None, "IMG_3.NEF", file_time=500.0),  # same name, another moment
        shot(7, 50.0, "IMG_4.JPG", folder="/other"),
        shot(8, 50.0, "IMG_4.CR2"),  # another folder
    ]
    shots[1] = Shot(2, "/p", "img_1", ".cr2", 51.0, None, None)
    stacks = find_stacks(shots, {}, threshold=0.9)
    assert [(s.photo_ids, s.kind) for s in stacks] == [([1, 2], RAW_PAIR), ([3, 4], RAW_PAIR)]


# ---- best shot -----------------------------------------------------------------------------


def test_the_sharp_shot_beats_its_blurred_copies_and_a_blown_out_one():
    picture = render("forest", (800, 600), seed=1)
    qualities = {1: measure_image(picture.filter(ImageFilter.GaussianBlur(3))), 2: measure_image(picture)}
    qualities[3] = measure_image(picture.filter(ImageFilter.GaussianBlur(1)))
    assert qualities[2].sharpness > 3 * qualities[1].sharpness
    assert best_of(qualities)[0] == 2
    blown = picture.point(lambda v: min(255, v * 4))
    qualities[4] = measure_image(blown)
    assert qualities[4].highlights > 0.5
    assert best_of(qualities)[0] == 2


# ---- the job on generated photos -------------------------------------------------------------


@pytest.fixture
def burst_library(tmp_path, home, capsys, monkeypatch):
    """The generated burst folder indexed (metadata only), with given DINOv2-like features
    (the command line sees DINOv2 as the active model)."""
    folder = make_burst_folder(tmp_path / "photos")
    assert main(["add", str(tmp_path / "photos")]) == 0
    assert main(["index", "--no-embeddings", "--quiet"]) == 0
    capsys.readouterr()
    library = Library(home / "library.db")
    ids = {os.path.basename(library.photo(r["id"]).path): r["id"] for r in library.query("SELECT id FROM photos")}
    rng = np.random.default_rng(3)
    base = rng.standard_normal(96)
    vectors = {ids[p.name]: unit(base + 0.1 * rng.standard_normal(96)) for p in folder.burst}
    vectors[ids[folder.unrelated.name]] = unit(rng.standard_normal(96))
    vectors[ids[folder.pair[0].name]] = unit(rng.standard_normal(96))
    library.put_embeddings(DINO_KEY, list(vectors), np.stack(list(vectors.values())))
    installed = {"dino": DINO_KEY, "clip": None}
    monkeypatch.setattr(ModelProvider, "active_key", lambda self, library, role: installed[role])
    yield library, folder, ids
    library.close()


def test_the_job_stacks_exactly_the_burst_with_the_sharp_shot_best_and_the_pair(burst_library):
    library, folder, ids = burst_library
    assert library.photo(ids["IMG_0100.CR2"]).state == "error"  # no real RAW: half of the pair anyway
    assert library.photo(ids["IMG_0003.JPG"]).taken_at == "2024-06-01T15:30:11"  # no SubSecTimeOriginal
    assert library.photo(ids["IMG_0002.JPG"]).taken_at == "2024-06-01T15:30:10.500"
    assert pending_count(library, DINO_KEY) == 7  # the RAW has no features
    report = drain(update_stacks_job(library, DINO_KEY, threshold=0.85))
    assert report.considered == 7 and pending_count(library, DINO_KEY) == 0
    stacks = {s.kind: s for s in store.list_stacks(library)}
    burst_ids = sorted(ids[p.name] for p in folder.burst)
    assert sorted(stacks) == [BURST, RAW_PAIR]
    assert stacks[BURST].photo_ids == burst_ids  # the unrelated shot of the same second stays out
    assert stacks[BURST].best_photo_id == ids[folder.burst[SHARP_INDEX].name]
    assert stacks[RAW_PAIR].photo_ids == sorted(ids[p.name] for p in folder.pair)
    assert stacks[RAW_PAIR].best_photo_id == ids["IMG_0100.JPG"]
    assert drain(update_stacks_job(library, DINO_KEY, threshold=0.85)).considered == 0  # nothing new
    # Without any features (both models off) only the pair is found, and the burst's stack goes.
    assert pending_count(library, None) == 7  # the unreadable RAW joins as its JPEG's twin
    drain(update_stacks_job(library, None, threshold=0.85))
    assert [s.kind for s in store.list_stacks(library)] == [RAW_PAIR]


def test_a_new_shot_joins_its_burst_and_the_users_pick_stays(burst_library, tmp_path):
    library, folder, ids = burst_library
    drain(update_stacks_job(library, DINO_KEY, threshold=0.85))
    burst = next(s for s in store.list_stacks(library) if s.kind == BURST)
    library.set_stack_best(burst.id, burst.photo_ids[0], "picked by you")
    # A sixth shot of the burst arrives later (copied in from a card), 0.5 s after the fifth.
    new_path = tmp_path / "photos" / "IMG_0007.JPG"
    new_path.write_bytes(folder.burst[4].read_bytes())
    new_id = int(library.db["photos"].insert(
        {**{k: v for k, v in library.query("SELECT * FROM photos WHERE id = ?", [ids["IMG_0005.JPG"]])[0].items() if k != "id"},
         "path": str(new_path), "taken_at": "2024-06-01T15:30:12.500"}).last_pk)
    library.put_embeddings(DINO_KEY, [new_id], library.embeddings(DINO_KEY, [ids["IMG_0005.JPG"]])[1])
    assert pending_count(library, DINO_KEY) == 1
    drain(update_stacks_job(library, DINO_KEY, threshold=0.85))
    burst_now = next(s for s in store.list_stacks(library) if s.kind == BURST)
    assert burst_now.photo_ids == burst.photo_ids + [new_id]
    assert burst_now.best_photo_id == burst.photo_ids[0] and burst_now.picked_by_user


# ---- command line: stacks, pick, review, trash, undo -------------------------------------------


def run_json(capsys, *argv):
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_the_index_pipeline_stacks_new_photos_once(burst_library, home):
    from photo_organizer import pipeline
    from photo_organizer.home import DataHome

    library, folder, ids = burst_library
    stages = [stage for stage in pipeline.STAGES if stage.key in (pipeline.TAUGHT_ALBUMS, pipeline.STACKS)]
    models = ModelProvider(DataHome.open(home))
    report = drain(pipeline.update_library(library, models, stages=stages))
    assert report.skipped == [pipeline.TAUGHT_ALBUMS]  # no taught album: nothing to judge
    assert "stacks: 7 new photos considered" in report.summary()
    burst = next(s for s in store.list_stacks(library) if s.kind == BURST)
    assert burst.best_photo_id == ids[folder.burst[SHARP_INDEX].name]
    again = drain(pipeline.update_library(library, models, stages=stages))
    assert again.skipped == [pipeline.TAUGHT_ALBUMS, pipeline.STACKS]  # the cheap checks say so


@pytest.fixture
def xdg_trash(tmp_path, monkeypatch):
    """The system trash in a temporary folder (send2trash reads XDG_DATA_HOME once, at import)."""
    from send2trash import plat_other

    data_home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(data_home))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(data_home / "Trash"))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(data_home / "Trash"))
    return data_home / "Trash"


def test_review_trashes_the_others_and_undo_brings_them_back(burst_library, xdg_trash, capsys):
    library, folder, ids = burst_library
    assert main(["stacks", "update", "--quiet"]) == 0
    assert "7 new photos considered" in capsys.readouterr().out
    listing = run_json(capsys, "stacks")
    burst = next(s for s in listing["stacks"] if s["kind"] == BURST)
    assert listing["pending"] == 0 and burst["best_id"] == ids[folder.burst[SHARP_INDEX].name] and burst["why"]

    assert main(["stacks", "pick", str(burst["id"]), str(ids["IMG_0001.JPG"])]) == 0
    capsys.readouterr()
    assert run_json(capsys, "stacks")["stacks"][0]["best_id"] == ids["IMG_0001.JPG"]

    plan = run_json(capsys, "review", "--keep-best", str(burst["id"]))
    assert plan["trashed"] is None and all(p.exists() for p in folder.burst)  # a plan moves nothing
    assert main(["review", "--keep-best", str(burst["id"]), "--trash"]) == 1  # no terminal to confirm, no --yes
    assert "--yes" in capsys.readouterr().err
    assert all(p.exists() for p in folder.burst)

    result = run_json(capsys, "review", "--keep-best", str(burst["id"]), "--trash", "--yes")
    trashed = {entry["original_path"] for entry in result["trashed"]["trashed"]}
    assert trashed == {str(p) for p in folder.burst[1:]}
    assert folder.burst[0].exists() and not any(p.exists() for p in folder.burst[1:])
    trash_files = xdg_trash / "files"
    assert sorted(p.name for p in trash_files.iterdir()) == sorted(p.name for p in folder.burst[1:])
    assert run_json(capsys, "stacks")["stacks"][0]["kind"] == RAW_PAIR  # a stack of one is no stack

    restored = run_json(capsys, "trash", "undo")
    assert len(restored["restored"]) == 4 and not restored["failed"]
    assert all(p.exists() for p in folder.burst) and not list(trash_files.iterdir())
    assert {s["kind"] for s in run_json(capsys, "stacks")["stacks"]} == {BURST, RAW_PAIR}
    assert run_json(capsys, "trash")["entries"] == []
    assert main(["trash", "undo"]) == 1  # nothing left to undo: a message, not a traceback


def test_review_of_a_raw_pair_keeps_both_files_of_the_best_shot(burst_library, capsys):
    library, folder, ids = burst_library
    drain(update_stacks_job(library, DINO_KEY, threshold=0.85))
    pair = next(s for s in store.list_stacks(library) if s.kind == RAW_PAIR)
    plan = run_json(capsys, "review", "--keep-best", str(pair.id))
    assert sorted(p["id"] for p in plan["keep"]) == pair.photo_ids and plan["trash"] == []


@pytest.mark.slow
def test_index_stacks_the_raw_and_jpeg_pair_end_to_end(tmp_path, home, monkeypatch, capsys):
    """Random weights tell nothing apart, so only what needs no embedding is asserted."""
    monkeypatch.setenv("PHOTO_ORGANIZER_RANDOM_WEIGHTS", "1")
    make_burst_folder(tmp_path / "photos")
    assert main(["index", str(tmp_path / "photos"), "--quiet"]) == 0
    assert "Stacks: 7 new photos considered" in capsys.readouterr().out
    listing = run_json(capsys, "stacks")
    pairs = [s for s in listing["stacks"] if sorted(map(os.path.basename, s["paths"].values())) == ["IMG_0100.CR2", "IMG_0100.JPG"]]
    assert len(pairs) == 1 and pairs[0]["kind"] == RAW_PAIR
    assert listing["pending"] == 0
    assert all(len(s["photo_ids"]) >= 2 and s["best_id"] in s["photo_ids"] for s in listing["stacks"])


def test_review_keeps_one_of_exact_duplicates_and_trashes_the_copy(tmp_path, home, xdg_trash, capsys):
    folder = make_burst_folder(tmp_path / "photos")
    copy = tmp_path / "photos" / "backup" / "copy of IMG_0006.JPG"
    copy.parent.mkdir()
    copy.write_bytes(folder.unrelated.read_bytes())
    assert main(["index", str(tmp_path / "photos"), "--no-embeddings", "--quiet"]) == 0
    capsys.readouterr()
    with Library(home / "library.db") as library:
        keep_id = library.photo_by_path(folder.unrelated).id
        copy_id = library.photo_by_path(copy).id
    result = run_json(capsys, "review", "--keep", str(keep_id), "--trash", "--yes")
    assert [p["id"] for p in result["keep"]] == [keep_id] and [p["id"] for p in result["trash"]] == [copy_id]
    assert folder.unrelated.exists() and not copy.exists()
    assert main(["review", "--keep", "10000"]) == 1  # in no duplicate group: a message
    capsys.readouterr()
    assert len(run_json(capsys, "trash", "undo")["restored"]) == 1 and copy.exists()
