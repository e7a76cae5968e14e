"""The one index pipeline: stages, progress, resuming, missing weights, and what a step with
nothing to do costs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photo_organizer import pipeline
from photo_organizer.cli.main import main
from photo_organizer.environment import RANDOM_WEIGHTS_ENV
from photo_organizer.pipeline import PipelineOptions, Stage, update_library
from photo_organizer.progress import Progress, drain
from photo_organizer.sample_photos import make_labelled_folder
from photo_organizer.storage import OK, PENDING

SCAN_ONLY = PipelineOptions(embeddings=False)


def photos(tmp_path: Path, per_class: int = 1) -> Path:
    folder = tmp_path / "photos"
    make_labelled_folder(folder, per_class=per_class, size=(96, 72))
    return folder


def collect(job) -> tuple[list[Progress], object]:
    seen: list[Progress] = []
    while True:
        try:
            seen.append(next(job))
        except StopIteration as stop:
            return seen, stop.value


def test_progress_carries_the_step_in_plain_words_and_one_overall_fraction(ctx, tmp_path):
    ctx.library.add_root(photos(tmp_path))
    seen, report = collect(update_library(ctx.library, ctx.models, SCAN_ONLY))
    labels = [p.label for p in seen]
    assert "Looking for photos" in labels and "Reading photos" in labels
    overall = [p.overall for p in seen]
    assert all(value is not None and 0.0 <= value <= 1.0 for value in overall)
    assert overall == sorted(overall), "the overall bar never goes back"
    assert report.index.processed == 6 and report.index.scan.new == 6
    assert "6 new" in report.summary() and "6 photos read" in report.summary()


def test_an_unchanged_library_skips_every_step_but_the_scan(ctx, tmp_path):
    ctx.library.add_root(photos(tmp_path))
    drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    report = drain(update_library(ctx.library, ctx.models))  # no weights installed: nothing to embed
    assert pipeline.READ in report.skipped
    assert report.index.scan.unchanged == 6 and report.index.processed == 0


def test_closing_the_job_keeps_the_work_and_the_next_run_resumes(ctx, tmp_path):
    ctx.library.add_root(photos(tmp_path))
    job = update_library(ctx.library, ctx.models, SCAN_ONLY)
    for progress in job:
        if progress.label == "Reading photos":
            job.close()  # the user pressed Cancel once the photos were found
            break
    assert ctx.library.count_by_state().get(PENDING) == 6
    report = drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    assert report.index.processed == 6
    assert ctx.library.count_by_state() == {OK: 6}


def test_missing_weights_are_reported_and_the_other_steps_still_run(ctx, tmp_path, monkeypatch):
    monkeypatch.delenv(RANDOM_WEIGHTS_ENV, raising=False)
    ctx.library.add_root(photos(tmp_path))
    report = drain(update_library(ctx.library, ctx.models))
    assert report.index.processed == 6
    assert len(report.missing_weights) == 2  # CLIP and DINOv2
    assert all("photo-organizer models" in message for message in report.missing_weights)


def test_cli_index_without_weights_reads_the_photos_and_exits_3(home, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(RANDOM_WEIGHTS_ENV, raising=False)
    assert main(["add", str(photos(tmp_path))]) == 0
    assert main(["index"]) == 3
    captured = capsys.readouterr()
    assert "read 6 photos" in captured.out
    assert "photo-organizer models" in captured.err


def test_cli_window_and_self_test_run_the_same_stages(ctx, home, tmp_path, monkeypatch):
    """Swap the stage list: every front end runs the swapped list, so none chains steps itself."""
    from photo_organizer import selftest
    from photo_organizer.app.library_service import LibraryService

    ran: list[str] = []

    def probe(run):
        ran.append("probe")
        yield Progress("probe", 1, 1)

    monkeypatch.setattr(pipeline, "STAGES", [Stage("probe", "Probing", 1, lambda run: True, probe)])
    folder = photos(tmp_path)
    assert main(["add", str(folder)]) == 0
    assert main(["index", "--quiet"]) == 0
    drain(LibraryService(ctx).index_job()(ctx.library))
    state = selftest._State(ctx=ctx, photos_dir=folder, models={})
    with pytest.raises(selftest.SelfTestFailure):  # the probe reads no photo
        selftest.step_index(state)
    assert ran == ["probe"] * 3


RUNNER = """
import sys
from photo_organizer.cli.main import main
code = main(["index", "--quiet"])
heavy = sorted(name for name in ("torch", "open_clip", "timm", "onnxruntime", "dlib") if name in sys.modules)
print("heavy modules:", heavy)
sys.exit(code)
"""


@pytest.mark.slow
def test_an_unchanged_reindex_loads_no_model_and_imports_no_torch(home, tmp_path):
    """The first index embeds and exports the text tower; the second finds all of it done
    without loading CLIP (the tower's files are enough), importing torch or dlib."""
    env = {**os.environ, RANDOM_WEIGHTS_ENV: "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    folder = photos(tmp_path, per_class=2)
    for command in (["add", str(folder)], ["models", "use", "vit_small_patch14_dinov2"], ["index", "--quiet"]):
        subprocess.run([sys.executable, "-m", "photo_organizer", *command], env=env, check=True, capture_output=True, timeout=600)
    assert list((home / "onnx").glob("*/text_tower.onnx")), "the first index exports the text tower"
    again = subprocess.run([sys.executable, "-c", RUNNER], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "heavy modules: []" in again.stdout
    assert "0 new" in again.stdout and "12 unchanged" in again.stdout
    # and the image tower: a search by a new image file imports no torch either
    assert list((home / "onnx").glob("*/image_tower.onnx")), "the first index exports the image tower"
    new_image = tmp_path / "new.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(new_image)
    search = subprocess.run(
        [sys.executable, "-c", SEARCH_RUNNER, str(new_image)], env=env, capture_output=True, text=True, timeout=120
    )
    assert search.returncode == 0, search.stderr
    assert "heavy modules: []" in search.stdout


SEARCH_RUNNER = """
import sys
from photo_organizer.cli.main import main
code = main(["search", "--image", sys.argv[1]])
heavy = sorted(name for name in ("torch", "open_clip", "timm") if name in sys.modules)
print("heavy modules:", heavy)
sys.exit(code)
"""


@pytest.mark.slow
def test_a_stage_starts_without_the_models_of_earlier_stages(random_ctx, tmp_path, monkeypatch):
    """Peak memory: the DINOv2 pass must not run while the finished CLIP pass's model lives."""
    import weakref

    from photo_organizer.models.registry import CLIP, DINO

    built: list[weakref.ref] = []
    alive_in_second_stage: list[bool] = []

    def clip_stage(run):
        built.append(weakref.ref(run.models.clip(run.library)))
        yield Progress("first", 1, 1)

    def dino_stage(run):
        alive_in_second_stage.append(built[0]() is not None)
        yield Progress("second", 1, 1)

    stages = [
        Stage("first", "First", 1, lambda run: True, clip_stage, True, (CLIP,)),
        Stage("second", "Second", 1, lambda run: True, dino_stage, True, (DINO,)),
    ]
    drain(update_library(random_ctx.library, random_ctx.models, stages=stages))
    assert alive_in_second_stage == [False]


def test_a_second_indexing_process_is_told_the_library_is_busy(ctx, tmp_path):
    from photo_organizer.errors import LibraryBusyError
    from photo_organizer.storage import LibraryWriterLock

    ctx.library.add_root(photos(tmp_path))
    with LibraryWriterLock(ctx.home.root), pytest.raises(LibraryBusyError, match="busy"):
        drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    assert ctx.library.count_by_state() == {}  # nothing was scanned while the other one held it
    drain(update_library(ctx.library, ctx.models, SCAN_ONLY))  # released: this run works
    assert ctx.library.count_by_state() == {OK: 6}


def test_index_repairs_an_album_whose_size_disagrees_with_its_members(ctx, tmp_path):
    ctx.library.add_root(photos(tmp_path))
    drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    album_id = ctx.library.allocate_album_id()
    ctx.library.execute("INSERT INTO albums (id, name, size, hidden) VALUES (?, 'Trip', 20, 0)", [album_id])
    report = drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    assert any(note.startswith("Repaired the library") for note in report.notes)
    assert ctx.library.execute("SELECT size FROM albums WHERE id = ?", [album_id]).fetchone()[0] == 0


PASS_RUNNER = """
import sys
from photo_organizer.cli.main import main
code = main(["index", "--quiet"])
print("torch imported:", "torch" in sys.modules)
sys.exit(code)
"""


@pytest.mark.slow
def test_with_the_search_model_prepared_the_first_index_never_imports_torch(home, tmp_path):
    """`models prepare` (which import and download run) exports the CLIP towers; the first
    index then embeds on ONNX Runtime, and search works from the stored vectors."""
    env = {**os.environ, RANDOM_WEIGHTS_ENV: "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    folder = photos(tmp_path)
    for command in (["add", str(folder)], ["models", "disable", "dino"], ["models", "prepare"]):
        subprocess.run([sys.executable, "-m", "photo_organizer", *command], env=env, check=True, capture_output=True, timeout=600)
    first = subprocess.run([sys.executable, "-c", PASS_RUNNER], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "torch imported: False" in first.stdout
    from photo_organizer.storage import Library

    with Library(home / "library.db") as library:
        assert list(library.embedding_coverage().values()) == [6]


def test_preparing_models_without_weights_does_nothing_and_says_nothing(ctx):
    report = pipeline.prepare_models(ctx.library, ctx.models)
    assert report is not None and report.results == {} and report.notes == []
    assert not (ctx.home.root / "onnx").exists()


@pytest.mark.slow
def test_with_the_search_model_prepared_reading_embeds_from_the_same_decode(random_ctx, tmp_path):
    """Reading a new photo also gives it its search vector, the one the CLIP pass would store."""
    from photo_organizer import embedding
    from photo_organizer.models.registry import CLIP, DINO, disable_role

    library, models = random_ctx.library, random_ctx.models
    disable_role(library, DINO)
    library.add_root(photos(tmp_path))
    pipeline.prepare_models(library, models)
    models.release()
    first_steps = [stage for stage in pipeline.STAGES if stage.key in (pipeline.SCAN, pipeline.READ)]
    report = drain(update_library(library, models, stages=first_steps))
    assert report.index.processed == report.index.searchable == 6
    key = models.active_key(library, CLIP)
    assert library.photos_missing_embedding(key) == []
    ids, read_vectors = library.embeddings(key)

    library.execute("DELETE FROM embeddings")
    drain(embedding.embed_library(library, models, roles=[CLIP]))  # the pass's own decode
    pass_ids, pass_vectors = library.embeddings(key)
    assert list(ids) == list(pass_ids)
    assert np.abs(read_vectors - pass_vectors).max() < 1e-3  # float16 storage
