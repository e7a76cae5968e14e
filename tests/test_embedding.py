"""The embedding pipeline.

Two tiers: fake encoders (hand-made vectors) test batching, commits, resume, skipped files
and progress; the real architectures with random weights, imported through the command line,
test indexing end to end (in-process with sockets blocked, and once in a subprocess with the
default models).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from photo_organizer import embedding, imaging
from photo_organizer.cli.main import main
from photo_organizer.home import DataHome
from photo_organizer.models.provider import ModelOptions, ModelProvider
from photo_organizer.sample_photos import make_labelled_folder, render, save_jpeg
from photo_organizer.storage import OK, Library
from tests.model_weights import (
    DEFAULT_CLIP,
    DEFAULT_DINO,
    SMALL_DINO,
    installed_weights_dir,
    random_weights_file,
)

# ---- unit tier: fake encoders around the real pipeline -------------------------------------


class FakeEncoder:
    """Mean colour of the photo (plus a constant) as a unit 4-vector."""

    input_size = 32
    dim = 4

    def __init__(self, model_key: str) -> None:
        self.model_key = model_key
        self.batches: list[int] = []

    def preprocess(self, image):
        mean = np.asarray(image.resize((8, 8)), dtype=np.float32).mean(axis=(0, 1)) / 255.0
        return np.asarray([*mean, 1.0], dtype=np.float32)

    @staticmethod
    def batch(inputs):
        return np.stack(inputs)

    def encode_images(self, batch) -> np.ndarray:
        self.batches.append(len(batch))
        return batch / np.linalg.norm(batch, axis=1, keepdims=True)


@pytest.fixture
def library(tmp_path):
    with Library(tmp_path / "library.db") as lib:
        yield lib


def _add_photos(library: Library, folder: Path, count: int) -> list[int]:
    ids = []
    for n in range(count):
        path = save_jpeg(render("beach" if n % 2 else "forest", (96, 72), n), folder / f"{n:02d}.jpg")
        ids.append(_add_photo_row(library, path))
    return ids


def _add_photo_row(library: Library, path: Path) -> int:
    with library.transaction():
        return int(library.db["photos"].insert({"path": str(path), "state": OK, "added_at": time.time()}).last_pk)


def test_each_batch_is_committed_and_a_stopped_pass_resumes(library, tmp_path):
    ids = _add_photos(library, tmp_path / "photos", 10)
    encoder = FakeEncoder("fake:v1")
    job = embedding.embed_photos(library, [encoder], ids, "fake", batch_size=4, workers=2)
    progress = next(job)
    assert (progress.stage, progress.done, progress.total) == ("fake", 4, 10)
    job.close()  # what Ctrl-C or the GUI's Cancel does
    assert library.embedding_coverage() == {"fake:v1": 4}
    missing = library.photos_missing_embedding("fake:v1")
    assert missing == ids[4:]
    resumed = FakeEncoder("fake:v1")
    report = _drain(embedding.embed_photos(library, [resumed], missing, "fake", batch_size=4, workers=2))
    assert resumed.batches == [4, 2] and report.embedded == 6 and not report.failed
    stored_ids, vectors = library.embeddings("fake:v1")
    assert list(stored_ids) == ids
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_unreadable_and_vanished_photos_are_skipped_with_their_reason(library, tmp_path):
    ids = _add_photos(library, tmp_path / "photos", 3)
    broken = tmp_path / "photos" / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    ids.append(_add_photo_row(library, broken))
    ids.append(_add_photo_row(library, tmp_path / "photos" / "gone.jpg"))
    job = embedding.embed_photos(library, [FakeEncoder("fake:v1")], ids, "fake", batch_size=2, workers=2)
    progresses, report = _collect(job)
    assert report.embedded == 3
    reasons = {Path(path).name: reason for _, path, reason in report.failed}
    assert "not an image" in reasons["broken.jpg"] and "file not found" in reasons["gone.jpg"]
    assert progresses[-1].done == 5 and "2 unreadable" in progresses[-1].message
    assert library.embedding_coverage() == {"fake:v1": 3}


def test_progress_carries_photos_per_second_and_eta(library, tmp_path):
    ids = _add_photos(library, tmp_path / "photos", 6)
    progresses, _ = _collect(embedding.embed_photos(library, [FakeEncoder("fake:v1")], ids, "fake", batch_size=2))
    assert [p.done for p in progresses] == [2, 4, 6, 6]
    assert all(p.rate and p.rate > 0 for p in progresses)
    assert "ETA" in progresses[0].message and "ETA" not in progresses[-1].message


def test_one_decode_feeds_every_encoder_of_a_joint_pass(library, tmp_path, monkeypatch):
    ids = _add_photos(library, tmp_path / "photos", 5)
    decoded: list[str] = []
    original = imaging.load_rgb
    monkeypatch.setattr(imaging, "load_rgb", lambda path, min_side=None: (decoded.append(path), original(path, min_side))[1])
    first, second = FakeEncoder("fake:a"), FakeEncoder("fake:b")
    _drain(embedding.embed_photos(library, [first, second], ids, "a+b", batch_size=2))
    assert len(decoded) == 5 and first.batches == second.batches == [2, 2, 1]
    assert library.embedding_coverage() == {"fake:a": 5, "fake:b": 5}


def _collect(job):
    progresses = []
    while True:
        try:
            progresses.append(next(job))
        except StopIteration as stop:
            return progresses, stop.value


def _drain(job):
    return _collect(job)[1]


# ---- real architectures with random weights, through the command line -----------------------


@pytest.fixture
def files(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "weights-files"


def _block_sockets(monkeypatch) -> list[tuple]:
    attempts: list[tuple] = []

    class NoSocket:
        def __init__(self, *args, **kwargs):
            attempts.append(args)
            raise OSError("network access during indexing")

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", NoSocket)
    return attempts


def _coverage(home: Path) -> dict[str, tuple[int, int, float]]:
    """model key -> (photos with it, dimension, largest deviation of a norm from 1)."""
    with Library(home / "library.db") as library:
        result = {}
        for key in library.embedding_coverage():
            ids, vectors = library.embeddings(key)
            result[key] = (len(ids), vectors.shape[1], float(np.abs(np.linalg.norm(vectors, axis=1) - 1).max()))
        return result


@pytest.mark.slow
def test_import_then_index_end_to_end_without_any_socket(files, tmp_path, home, capsys, monkeypatch):
    photos = tmp_path / "photos"
    make_labelled_folder(photos, per_class=1)  # 6 photos
    cli = ["--home", str(home)]
    assert main(cli + ["models", "import", DEFAULT_CLIP, str(random_weights_file(files, DEFAULT_CLIP))]) == 0
    exports = [path.name for path in home.glob("onnx/*/*_tower.onnx")]
    assert sorted(exports) == ["image_tower.onnx", "text_tower.onnx"]  # the import prepared the search model
    assert main(cli + ["models", "import", SMALL_DINO, str(random_weights_file(files, SMALL_DINO))]) == 0
    assert main(cli + ["models", "use", SMALL_DINO]) == 0
    capsys.readouterr()
    attempts = _block_sockets(monkeypatch)

    assert main(cli + ["index", str(photos)]) == 0
    out, err = capsys.readouterr()
    # search is ready before DINOv2 starts: the import prepared the search model, so reading
    # the photos embeds them from the same decode; progress lines name the steps in plain words
    assert err.index("[Reading photos] 6/6") < err.index("[Comparing photos for albums]")
    assert "[Preparing search]" not in err  # nothing left for the CLIP pass
    assert "embedded 6 photos with clip while reading them" in out and "embedded 6 photos with dino" in out
    coverage = _coverage(home)
    assert {key.split(":")[0]: value[:2] for key, value in coverage.items()} == {"clip": (6, 512), "dino": (6, 384)}
    assert max(value[2] for value in coverage.values()) < 2e-3  # unit norm, stored as float16
    assert attempts == []
    with Library(home / "library.db") as library:
        rows = embedding.embedding_coverage(ModelProvider(DataHome.open(home)), library)
    assert [(r["role"], r["model"], r["embedded"], r["photos"]) for r in rows] == [
        ("clip", DEFAULT_CLIP, 6, 6),
        ("dino", SMALL_DINO, 6, 6),
    ]

    (photos / "beach" / "beach_000.jpg").rename(photos / "moved.jpg")
    assert main(cli + ["index"]) == 0
    err = capsys.readouterr().err
    assert "[Preparing search]" not in err and "[Comparing photos for albums]" not in err  # the moved photo kept its embeddings
    assert _coverage(home) == coverage and attempts == []


def _models_with_installed_weights(files, home: DataHome) -> ModelProvider:
    shared = installed_weights_dir(files, DEFAULT_CLIP, SMALL_DINO)
    return ModelProvider(home, ModelOptions(weights_folders=(shared,)))


@pytest.mark.slow
def test_joint_pass_embeds_both_models_from_one_decode(files, tmp_path):
    home = DataHome.open(tmp_path / "home")
    models = _models_with_installed_weights(files, home)
    with Library(home.database_path) as library:
        from photo_organizer.models.registry import set_active_model

        set_active_model(library, SMALL_DINO)
        ids = _add_photos(library, tmp_path / "photos", 3)
        progresses, report = _collect(embedding.embed_library(library, models, strategy=embedding.JOINT))
        stages = list(dict.fromkeys(p.stage for p in progresses))
        assert stages == ["itae-calibrate", "clip+dino"]  # θ first, so DINOv2 runs once
        assert [(p.stage, p.embedded) for p in report.passes] == [("clip+dino", 3)]
        assert report.time_until_complete("clip") == report.time_until_complete("dino")
        assert sorted(library.embedding_coverage().values()) == [3, 3]
        assert not library.photos_missing_embedding(models.active_key(library, "dino"))
        assert ids


def test_itae_is_calibrated_once_before_the_first_dino_pass_and_user_choices_win(files, tmp_path):
    from photo_organizer.models.itae import ITAESettings, load_settings, save_settings
    from photo_organizer.models.registry import set_active_model

    home = DataHome.open(tmp_path / "home")
    models = _models_with_installed_weights(files, home)
    with Library(home.database_path) as library:
        set_active_model(library, SMALL_DINO)
        _add_photos(library, tmp_path / "photos", 3)
        progresses, _ = _collect(embedding.embed_library(library, models, roles=["dino"]))
        assert {p.stage for p in progresses} == {"dino"}  # θ found during the DINOv2 pass itself
        assert load_settings(library).calibrated_for == SMALL_DINO
        marker = library.get_setting(embedding.AUTO_CALIBRATION_SETTING)
        assert marker["settings"] == load_settings(library).to_setting()

        _add_photos(library, tmp_path / "more", 2)
        progresses, report = _collect(embedding.embed_library(library, models, roles=["dino"]))
        assert "itae-calibrate" not in {p.stage for p in progresses}  # calibrated once
        assert [(p.stage, p.embedded) for p in report.passes] == [("dino", 2)]

    with Library(tmp_path / "other.db") as library:  # the user chose ITAE settings: never overridden
        set_active_model(library, SMALL_DINO)
        _add_photos(library, tmp_path / "third", 2)
        chosen = ITAESettings(enabled=False, threshold=None)
        save_settings(library, chosen)
        progresses, _ = _collect(embedding.embed_library(library, models, roles=["dino"]))
        assert "itae-calibrate" not in {p.stage for p in progresses}
        assert load_settings(library) == chosen


def test_missing_weights_scan_completes_then_the_commands_are_named(tmp_path, home, capsys):
    photos = tmp_path / "photos"
    save_jpeg(render("snow", (64, 48), 0), photos / "a.jpg")
    assert main(["index", str(photos)]) == 3
    err = capsys.readouterr().err
    for name in (DEFAULT_CLIP, DEFAULT_DINO):
        assert f"`photo-organizer models download {name}`" in err
        assert f"`photo-organizer models import {name} FILE`" in err
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["photos"]["ok"] == 1


@pytest.mark.slow
def test_default_models_index_in_a_subprocess(files, tmp_path):
    photos = tmp_path / "photos"
    make_labelled_folder(photos, per_class=1, classes=["beach", "night"])
    environment = {
        **os.environ,
        "PHOTO_ORGANIZER_HOME": str(tmp_path / "home"),
        "PHOTO_ORGANIZER_WEIGHTS_PATH": str(installed_weights_dir(files, DEFAULT_CLIP, DEFAULT_DINO)),
    }
    environment.pop("PHOTO_ORGANIZER_RANDOM_WEIGHTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "photo_organizer", "index", str(photos)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    coverage = _coverage(tmp_path / "home")
    assert {key.split(":")[0]: value[:2] for key, value in coverage.items()} == {"clip": (2, 512), "dino": (2, 768)}
    assert any(key.startswith(f"dino:{DEFAULT_DINO}:lvd142m@") for key in coverage)


@pytest.mark.slow
def test_on_a_cpu_the_clip_pass_runs_on_the_exported_tower_with_torch_s_vectors(files, tmp_path, monkeypatch):
    from photo_organizer.models.registry import CLIP
    from photo_organizer.pipeline import prepare_models
    from photo_organizer.progress import drain
    from photo_organizer.search import image_tower

    home = DataHome.open(tmp_path / "home")
    models = _models_with_installed_weights(files, home)
    with Library(home.database_path) as library:
        _add_photos(library, tmp_path / "photos", 5)
        assert not isinstance(embedding.pass_encoder(library, models, CLIP), image_tower.OnnxImageEncoder)
        prepare_models(library, models)
        assert isinstance(embedding.pass_encoder(library, models, CLIP), image_tower.OnnxImageEncoder)
        monkeypatch.setattr(image_tower, "gpu_present", lambda: True)  # a GPU: torch is faster there
        assert not isinstance(embedding.pass_encoder(library, models, CLIP), image_tower.OnnxImageEncoder)
        monkeypatch.undo()
        models.release()

        report = drain(embedding.embed_library(library, models, roles=[CLIP]))
        assert [(one.stage, one.embedded) for one in report.passes] == [(CLIP, 5)]
        ids, stored = library.embeddings(models.active_key(library, CLIP))
        clip = models.clip(library)  # torch, on the same decoded photos
        import torch

        paths = {record.id: record.path for record in library.photos([int(i) for i in ids])}
        ids = [int(i) for i in ids]
        batch = torch.stack([clip.preprocess(imaging.load_rgb(paths[i], clip.input_size)) for i in ids])
        assert np.abs(stored - clip.encode_images(batch)).max() < 2e-3  # stored as float16


@pytest.mark.slow
def test_weights_imported_from_the_window_prepare_the_search_model(files, home):
    """The window's import (a worker thread) exports the CLIP towers too, on its own connection."""
    import threading

    from photo_organizer.app.library_service import LibraryService
    from photo_organizer.context import AppContext

    ctx = AppContext.open(home)
    assert ctx.library.roots() == []  # the GUI thread's connection is open before the worker runs
    service = LibraryService(ctx)
    worker = threading.Thread(target=service.import_weights, args=(DEFAULT_CLIP, str(random_weights_file(files, DEFAULT_CLIP))))
    worker.start()
    worker.join()
    assert sorted(path.name for path in home.glob("onnx/*/*_tower.onnx")) == ["image_tower.onnx", "text_tower.onnx"]
    ctx.close()
