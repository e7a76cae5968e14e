"""Encoders built from installed weights: same features as the library's own model, unit norm,
right dimension, fp32 on CPU, kept by their provider (never shared between providers), ITAE in
the key; the random-weights mode is a provider option."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photo_organizer.errors import ModelError, WeightsMissingError
from photo_organizer.home import DataHome
from photo_organizer.models import registry
from photo_organizer.models.itae import ITAESettings, save_settings
from photo_organizer.models.provider import ModelOptions, ModelProvider
from photo_organizer.models.runtime import choose_device
from photo_organizer.storage import Library
from tests.model_weights import DEFAULT_CLIP, SMALL_DINO, installed_weights_dir, random_model

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(tmp_path_factory, tmp_path):
    """A provider whose weights come from the shared installed folder; DINOv2 ViT-S/14 active."""
    shared = installed_weights_dir(tmp_path_factory.getbasetemp() / "weights-files", DEFAULT_CLIP, SMALL_DINO)
    home = DataHome.open(tmp_path / "home")
    library = Library(home.database_path)
    registry.set_active_model(library, SMALL_DINO)
    yield ModelProvider(home, ModelOptions(weights_folders=(shared,), device="cpu")), library
    library.close()


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)) for _ in range(2)]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_clip_encoder_gives_open_clip_s_features_for_images_and_texts(setup):
    import torch

    models, library = setup
    encoder = models.clip(library)
    assert encoder.model_key == models.active_key(library, "clip")
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


def test_encoders_are_built_once_per_provider_and_never_shared(setup):
    models, library = setup
    assert models.clip(library) is models.clip(library)
    first = models.dino(library)
    assert models.dino(library) is first
    other = ModelProvider(models.home, models.options)
    assert other.dino(library) is not first and other.dino(library).model_key == first.model_key
    models.clear()
    assert models.dino(library) is not first


def test_dino_encoder_applies_itae_and_names_it_in_the_model_key(setup):
    import torch

    models, library = setup
    stock = models.dino(library)
    assert stock.model_key.endswith(":224px:itae-off") and stock.dim == 384
    save_settings(library, ITAESettings(enabled=True, source="v", threshold=2.5, calibrated_for=SMALL_DINO))
    engineered = models.dino(library)
    assert engineered is not stock
    assert engineered.model_key == models.active_key(library, "dino")
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
            ModelProvider(home).dino(library)


def test_random_weights_mode_is_a_provider_option_that_builds_the_real_architecture(tmp_path):
    import torch

    home = DataHome.open(tmp_path / "home")
    with Library(home.database_path) as library:
        registry.set_active_model(library, SMALL_DINO)
        assert ModelProvider(home).active_key(library, "dino") is None  # no weights: the other provider
        assert ModelProvider(home).missing_weights(library) == [registry.get_spec("ViT-B-32"), registry.get_spec(SMALL_DINO)]
        models = ModelProvider(home, ModelOptions(random_weights=True))
        assert models.missing_weights(library) == []
        encoder = models.dino(library)
        assert encoder.model_key == f"dino:{SMALL_DINO}:random:224px:itae-off"
        features = encoder.encode_images(torch.stack([encoder.preprocess(image) for image in _images()]))
        assert features.shape == (2, 384)


def test_device_override_must_name_a_device_this_machine_has():
    import torch

    from photo_organizer.environment import model_options_from_environment
    from photo_organizer.models.runtime import choose_device

    with pytest.raises(ModelError, match="PHOTO_ORGANIZER_DEVICE must be cpu, cuda or mps"):
        model_options_from_environment({"PHOTO_ORGANIZER_DEVICE": "tpu"})
    with pytest.raises(ModelError, match="cpu, cuda or mps"):
        choose_device("tpu")
    assert model_options_from_environment({"PHOTO_ORGANIZER_DEVICE": "CPU "}).device == "cpu"
    assert choose_device("cpu") == (torch.device("cpu"), torch.float32)
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no such device"):
            choose_device("cuda")


def test_the_entry_points_read_the_environment_into_provider_options(tmp_path):
    import os

    from photo_organizer.environment import model_options_from_environment

    options = model_options_from_environment(
        {"PHOTO_ORGANIZER_RANDOM_WEIGHTS": "yes", "PHOTO_ORGANIZER_WEIGHTS_PATH": f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"}
    )
    assert options == ModelOptions(random_weights=True, weights_folders=(tmp_path / "a", tmp_path / "b"))
    assert model_options_from_environment({}) == ModelOptions()
    provider = ModelProvider(DataHome.open(tmp_path / "home"), options)
    assert provider.weights_folders()[:3] == [tmp_path / "home" / "weights", tmp_path / "a", tmp_path / "b"]


def test_nothing_in_the_models_package_reads_the_environment_or_keeps_an_encoder_cache():
    import re
    from pathlib import Path

    import photo_organizer.models

    package = Path(photo_organizer.models.__file__).parent
    hub_probe = {"HF_ENDPOINT", "HF_HUB_OFFLINE"}  # the hub client's own variables, read by the download probe
    for source in package.glob("*.py"):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"os\.environ|getenv\(|environ\.get\(", line):
                assert "weights.py" == source.name and (
                    any(name in line for name in hub_probe) or "PROXY" in line
                ), f"{source.name}:{number} reads the environment: {line.strip()}"
    assert "_cache" not in (package / "loading.py").read_text(encoding="utf-8")
