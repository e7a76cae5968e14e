"""The first DINOv2 pass calibrates ITAE on its way (photo_organizer/itae_pass.py).

The real DINOv2 ViT-S/14 with random weights. Random weights give no artifact tokens, so the
valley finder is made to call the sample bimodal at a fixed quantile of the measured norms:
ITAE is then really on, and θ still comes from the norms each path measured.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest

from photo_organizer import embedding, itae_calibration, itae_pass
from photo_organizer.home import DataHome
from photo_organizer.models.itae import load_settings, round_threshold
from photo_organizer.models.provider import ModelOptions, ModelProvider
from photo_organizer.models.registry import set_active_model
from photo_organizer.progress import drain
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.storage import OK, Library
from tests.model_weights import SMALL_DINO

PHOTOS = 11
SAMPLE = 6  # fewer than the photos: the pass also embeds photos outside the sample
BATCH = 4  # the sample spans two batches, one of them short


@pytest.fixture
def photos(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("photos")
    return [
        save_jpeg(render(("beach", "forest", "night")[n % 3], (120, 90), n), folder / f"{n:02d}.jpg") for n in range(PHOTOS)
    ]


@pytest.fixture(autouse=True)
def bimodal_at_a_quantile(monkeypatch):
    real = itae_calibration.find_valley

    def find_valley(norms, method="gmm", seed=0):
        valley = real(norms, method=method, seed=seed)
        threshold = round_threshold(float(np.quantile(np.asarray(norms), 0.2)))
        return dataclasses.replace(valley, bimodal=True, threshold=threshold, reason="bimodal (test)")

    monkeypatch.setattr(itae_calibration, "find_valley", find_valley)
    monkeypatch.setattr(itae_pass, "AUTO_CALIBRATION_SAMPLE", SAMPLE)


def _library(tmp_path: Path, name: str, photos: list[Path]) -> tuple[Library, ModelProvider]:
    home = DataHome.open(tmp_path / name)
    library = Library(home.database_path)
    set_active_model(library, SMALL_DINO)
    with library.transaction():
        for path in photos:
            library.db["photos"].insert({"path": str(path), "state": OK, "added_at": time.time()})
    return library, ModelProvider(home, ModelOptions(random_weights=True, device="cpu"))


def _two_passes(library: Library, models: ModelProvider) -> str:
    """What `itae calibrate` then `index` compute: θ on the sample, then every photo embedded."""
    drain(itae_calibration.calibrate_job(library, lambda: models.dino(library), sample=SAMPLE, batch_size=BATCH))
    encoder = models.dino(library)
    drain(embedding.embed_photos(library, [encoder], library.photo_ids(), "dino", batch_size=BATCH))
    return encoder.model_key


def _one_pass(library: Library, models: ModelProvider) -> embedding.EmbeddingReport:
    return drain(embedding.embed_library(library, models, roles=["dino"], batch_size=BATCH))


def _block_visits(encoder) -> tuple[list[int], list[int]]:
    """Photos through the first and the last block (counted when the block has run)."""
    first, last = [], []
    encoder.model.blocks[0].register_forward_hook(lambda module, args, out: first.append(len(out)))
    encoder.model.blocks[-1].register_forward_hook(lambda module, args, out: last.append(len(out)))
    return first, last


def test_one_pass_finds_the_same_theta_and_vectors_as_calibrating_first(tmp_path, photos):
    reference, reference_models = _library(tmp_path, "two-passes", photos)
    key = _two_passes(reference, reference_models)
    assert ":itae-v-" in key  # ITAE is on: the last block really changed

    library, models = _library(tmp_path, "one-pass", photos)
    first, last = _block_visits(models.dino(library))
    report = _one_pass(library, models)

    assert load_settings(library) == load_settings(reference)
    calibration, expected = (lib.get_setting(itae_calibration.CALIBRATION_SETTING) for lib in (library, reference))
    assert calibration.keys() == expected.keys()
    for name, value in expected.items():
        assert calibration[name] == (pytest.approx(value, rel=1e-6) if isinstance(value, float) else value), name
    assert report.passes[0].model_keys == [key] and report.passes[0].embedded == PHOTOS
    assert library.embedding_coverage() == {key: PHOTOS}
    ids, vectors = library.embeddings(key)
    reference_ids, reference_vectors = reference.embeddings(key)
    assert ids.tolist() == reference_ids.tolist()
    np.testing.assert_allclose(vectors, reference_vectors, atol=2e-3)
    assert sum(first) == PHOTOS and sum(last) == PHOTOS  # every block once per photo
    assert library.get_setting(embedding.AUTO_CALIBRATION_SETTING)["settings"] == load_settings(library).to_setting()


def test_a_pass_stopped_while_sampling_starts_over_and_one_stopped_later_resumes(tmp_path, photos):
    reference, reference_models = _library(tmp_path, "whole", photos)
    _one_pass(reference, reference_models)
    key = reference_models.active_key(reference, "dino")

    library, models = _library(tmp_path, "stopped", photos)
    job = embedding.embed_library(library, models, roles=["dino"], batch_size=BATCH)
    next(job), next(job)  # "loading model", then the first sampled batch
    job.close()
    assert library.get_setting("itae") is None and library.embedding_coverage() == {}

    job = embedding.embed_library(library, models, roles=["dino"], batch_size=BATCH)
    progresses = [next(job) for _ in range(6)]  # sampled, calibrated, kept batches finished, then one more
    job.close()
    assert load_settings(library) == load_settings(reference)
    done = library.embedding_coverage()[key]
    assert SAMPLE <= done < PHOTOS and progresses[-1].total == PHOTOS

    first, _last = _block_visits(models.dino(library))
    report = _one_pass(library, models)
    assert [(one.stage, one.embedded) for one in report.passes] == [("dino", PHOTOS - done)]
    assert sum(first) == PHOTOS - done
    np.testing.assert_allclose(library.embeddings(key)[1], reference.embeddings(key)[1], atol=2e-3)
