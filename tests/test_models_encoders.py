"""Encoders built from installed weights: same features as the library's own model, unit norm,
right dimension, fp32 on CPU (the machine's device otherwise), cached per process, ITAE in the key; the random-weights mode."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photo_organizer.errors import ModelError, WeightsMissingError
from photo_organizer.home import DataHome
from photo_organizer.models import loading, registry
from photo_organizer.models.itae import ITAESettings, save_settings
from photo_organizer.models.runtime import choose_device
from photo_organizer.storage import Library
from tests.model_weights import DEFAULT_CLIP, SMALL_DINO, installed_weights_dir, random_model

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(tmp_path_factory, tmp_path, monkeypatch):
    """A data home whose weights come from the shared installed folder; DINOv2 ViT-S/14 active."""
    shared = installed_weights_dir(tmp_path_factory.getbasetemp() / "weights-files", DEFAULT_CLIP, SMALL_DINO)
    monkeypatch.setenv("PHOTO_ORGANIZER_WEIGHTS_PATH", str(shared))
    home = DataHome.open(tmp_path / "home")
    library = Library(home.database_path)
    registry.set_active_model(library, SMALL_DINO)
    yield home, library
    library.close()


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)) for _ in range(2)]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_clip_encoder_gives_open_clip_s_features_for_images_and_texts(setup):
    import torch

    home, library = setup
    encoder = loading.load_clip(home, library)
    assert encoder.model_key == loading.active_model_key(home, library, "clip")
    assert encoder.model_key.startswith("clip:ViT-B-32:laion2b_s34b_b79k@")
    device, dtype = choose_device()  # fp32 on CPU; fp16 on a GPU when torch has CUDA or MPS
    assert encoder.device.type == device.type and encoder.dtype == dtype
    batch = torch.stack([encoder.preprocess(image) for image in _images()])
    assert batch.shape == (2, 3, 224, 224)
    features = encoder.encode_images(batch)
    assert features.shape == (2, 512) and features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    reference = random_model(DEFAULT_CLIP)  # the model whose (fp16-rounded) weights were imported
    with torch.inference_mode():
        expected = reference.encode_image(batch).numpy()
        expected_text = reference.encode_text(encoder._tokenizer(["a dog", "a cat"])).numpy()
    assert _cosines(features, expected).min() > 0.999
    texts = encoder.encode_texts(["a dog", "a cat"])
    assert texts.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert _cosines(texts, expected_text).min() > 0.999


def test_encoders_are_built_once_per_process(setup):
    home, library = setup
    assert loading.load_clip(home, library) is loading.load_clip(home, library)
    first = loading.load_dino(home, library)
    assert loading.load_dino(home, library) is first


def test_dino_encoder_applies_itae_and_names_it_in_the_model_key(setup):
    import torch

    home, library = setup
    stock = loading.load_dino(home, library)
    assert stock.model_key.endswith(":224px:itae-off") and stock.dim == 384
    save_settings(library, ITAESettings(enabled=True, source="v", threshold=2.5, calibrated_for=SMALL_DINO))
    engineered = loading.load_dino(home, library)
    assert engineered is not stock
    assert engineered.model_key == loading.active_model_key(home, library, "dino")
    assert engineered.model_key.endswith(":224px:itae-v-2.5")
    assert type(engineered.model.blocks[-1].attn).__name__ == "ITAEAttention"
    assert type(engineered.model.blocks[-2].attn).__name__ == "Attention"
    batch = torch.stack([engineered.preprocess(image) for image in _images()])
    features = engineered.encode_images(batch)
    assert features.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)


def test_missing_weights_raise_the_documented_message(tmp_path):
    home = DataHome.open(tmp_path / "home")
    with Library(home.database_path) as library:
        with pytest.raises(WeightsMissingError, match="`photo-organizer models download vit_base_patch14_dinov2`"):
            loading.load_dino(home, library)


def test_random_weights_mode_builds_the_real_architecture(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("PHOTO_ORGANIZER_RANDOM_WEIGHTS", "1")
    home = DataHome.open(tmp_path / "home")
    with Library(home.database_path) as library:
        registry.set_active_model(library, SMALL_DINO)
        encoder = loading.load_dino(home, library)
        assert encoder.model_key == f"dino:{SMALL_DINO}:random:224px:itae-off"
        features = encoder.encode_images(torch.stack([encoder.preprocess(image) for image in _images()]))
        assert features.shape == (2, 384)


def test_device_override_must_name_a_device_this_machine_has(monkeypatch):
    import torch

    from photo_organizer.models.runtime import choose_device

    monkeypatch.setenv("PHOTO_ORGANIZER_DEVICE", "tpu")
    with pytest.raises(ModelError, match="cpu, cuda or mps"):
        choose_device()
    monkeypatch.setenv("PHOTO_ORGANIZER_DEVICE", "cpu")
    assert choose_device() == (torch.device("cpu"), torch.float32)
    if not torch.cuda.is_available():
        monkeypatch.setenv("PHOTO_ORGANIZER_DEVICE", "cuda")
        with pytest.raises(ModelError, match="no such device"):
            choose_device()
