"""Search by an image file without torch: the ONNX image tower (tiny open_clip, random
weights) matches the torch encoder, the query encoder prefers it, and a file whose content
is already in the library reuses the stored embedding."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from photo_organizer.imaging import load_rgb
from photo_organizer.search.image_tower import (
    FAILED_FILE,
    META_FILE,
    OnnxImageEncoder,
    export_image_tower,
    image_export_pending,
    max_difference_to_torch,
    preprocess_pixels,
)
from photo_organizer.search.query_encoding import QueryEncoder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_clip_encoder():
    return _tiny_clip_encoder()


def _tiny_clip_encoder():
    """The models package's ClipEncoder around a tiny open_clip model (32 px input)."""
    from photo_organizer.models.clip import ClipEncoder
    from photo_organizer.models.registry import get_spec
    from photo_organizer.models.torch_compat import import_torch
    from tests.model_weights import tiny_open_clip

    torch = import_torch()
    model = tiny_open_clip(vision_layers=2, vision_width=64, head_width=32, patch_size=8)
    spec = dataclasses.replace(get_spec("ViT-B-32"), dim=32, input_size=32)
    return ClipEncoder(spec, model, "clip:tiny:random", torch.device("cpu"), torch.float32)


def _photos() -> list[Image.Image]:
    rng = np.random.default_rng(7)
    sizes = [(640, 480), (333, 800), (32, 32), (20, 45)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


def test_torch_free_preprocessing_equals_open_clip_s(tiny_clip_encoder, tmp_path):
    export_image_tower(lambda: tiny_clip_encoder, tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text())
    for image in _photos():
        ours = preprocess_pixels(image, meta)
        theirs = tiny_clip_encoder.preprocess(image).numpy()
        assert ours.shape == theirs.shape == (3, 32, 32)
        assert np.abs(ours - theirs).max() < 1e-5


def test_exported_image_tower_matches_torch_and_needs_no_model(tiny_clip_encoder, tmp_path):
    meta = export_image_tower(lambda: tiny_clip_encoder, tmp_path)
    assert meta["max_difference"] <= 1e-4
    assert OnnxImageEncoder.is_installed(tmp_path) and not image_export_pending(tmp_path)
    onnx = OnnxImageEncoder(tmp_path)
    assert max_difference_to_torch(tiny_clip_encoder, onnx, _photos()) < 1e-4
    vectors = onnx.encode_pil(_photos()[:2])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def no_model():
        raise AssertionError("the torch model must not load when the ONNX image tower exists")

    path = tmp_path / "query.png"
    _photos()[0].save(path)
    encoder = QueryEncoder("clip:tiny:random", load_clip=no_model, onnx_folder=tmp_path)
    vector = encoder.image_file(path)
    assert encoder.last_source == "onnx"
    decoded = load_rgb(path, min_side=tiny_clip_encoder.input_size)  # as the product decodes a query (reduced)
    reference = tiny_clip_encoder.encode_images(tiny_clip_encoder.preprocess(decoded)[None])
    assert np.abs(vector - reference[0]).max() < 1e-4


def test_the_torch_model_can_be_freed_before_onnx_runtime_loads_the_export(tmp_path):
    """Indexing's memory peak: no copy of the weights in ONNX Runtime while torch holds them."""
    import gc
    import weakref

    models = []

    def load_clip():
        encoder = _tiny_clip_encoder()
        models.append(weakref.ref(encoder.model))
        return encoder

    def release():
        gc.collect()
        assert models[0]() is None, "the export still holds the torch model"
        models.append("released")

    meta = export_image_tower(load_clip, tmp_path, release)
    assert models[-1] == "released" and meta["max_difference"] <= 1e-4
    assert OnnxImageEncoder.is_installed(tmp_path)


def test_a_failed_export_is_recorded_and_not_retried_at_once(tiny_clip_encoder, tmp_path, monkeypatch):
    from photo_organizer.errors import ModelError
    from photo_organizer.search import image_tower

    monkeypatch.setattr(image_tower, "EXPORT_TOLERANCE", -1.0)  # no export can pass
    with pytest.raises(ModelError):
        export_image_tower(lambda: tiny_clip_encoder, tmp_path)
    assert (tmp_path / FAILED_FILE).exists() and not OnnxImageEncoder.is_installed(tmp_path)
    assert not image_export_pending(tmp_path)
    assert not (tmp_path / "image-staging").exists()
