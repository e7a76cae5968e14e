"""The light text path on a real open_clip architecture (tiny config, random weights):
torch-free tokenizer, query-length forward, ONNX export verified against torch."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import numpy as np
import pytest

from photo_organizer.errors import ModelError
from photo_organizer.search.clip_tokenizer import ClipTokenizer, verify_against
from photo_organizer.search.query_encoding import OnnxTextEncoder, QueryEncoder
from photo_organizer.search.text_tower import (
    FAILED_FILE,
    META_FILE,
    TruncatedTorchTextEncoder,
    export_text_tower,
    open_clip_vocab_path,
)

pytestmark = pytest.mark.slow
TEXTS = ["a dog in the snow", "x", "Crème brûlée at the café, 2 spoons!", "word " * 90]


@pytest.fixture(scope="module")
def tiny_clip():
    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()
    import open_clip

    from tests.model_weights import tiny_open_clip

    model = tiny_open_clip()
    encoder = SimpleNamespace(
        model=model, model_key="clip:tiny:random:32px", dim=32, device=torch.device("cpu"),
        spec=SimpleNamespace(architecture="ViT-B-32"),
    )
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    with torch.inference_mode():
        reference = model.encode_text(tokenizer(TEXTS), normalize=True).numpy()
    return encoder, tokenizer, reference


def test_tokenizer_matches_open_clip_token_for_token(tiny_clip):
    _, reference_tokenizer, _ = tiny_clip
    ours = ClipTokenizer(open_clip_vocab_path())
    rng = random.Random(0)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?'-éüß日本🐶&;<>"
    texts = TEXTS + ["", "don't", "&amp; &lt;b&gt;", "<start_of_text>hi", "x" * 300]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(100)]
    assert verify_against(ours, reference_tokenizer, texts) == []
    assert ours(["a dog", "a dog in the snow"]).shape == (2, 7)  # padded to the longest only


def test_query_length_forward_equals_the_full_context_forward(tiny_clip):
    encoder, _, reference = tiny_clip
    fast = TruncatedTorchTextEncoder(encoder, ClipTokenizer(open_clip_vocab_path()))
    np.testing.assert_allclose(fast.encode_texts(TEXTS), reference, atol=1e-5)


def test_onnx_export_is_verified_and_answers_without_torch_models(tiny_clip, tmp_path):
    encoder, _, reference = tiny_clip
    folder = tmp_path / "onnx"
    messages: list[str] = []
    first = QueryEncoder(encoder.model_key, load_clip=lambda: encoder, onnx_folder=folder, export_onnx=True, notify=messages.append)
    np.testing.assert_allclose(first.text(TEXTS[0]), reference[0], atol=1e-5)
    assert first.last_source == "torch" and first.export_pending
    first.export_if_pending()
    assert "fast text search ready" in messages[-1]
    meta = json.loads((folder / META_FILE).read_text())
    assert meta["max_difference"] < 1e-5 and meta["model_key"] == encoder.model_key
    onnx = OnnxTextEncoder(folder)
    np.testing.assert_allclose(onnx.encode_texts(TEXTS), reference, atol=1e-5)

    def no_model():
        raise AssertionError("the ONNX tower should have answered")

    queries = QueryEncoder(encoder.model_key, load_clip=no_model, onnx_folder=folder)
    np.testing.assert_allclose(queries.text(TEXTS[0]), reference[0], atol=1e-5)
    assert queries.last_source == "onnx"
    other_model = QueryEncoder("clip:other:key:224px", load_clip=lambda: encoder, onnx_folder=folder)
    other_model._clip = SimpleNamespace(model_key="clip:other:key:224px", encode_texts=lambda texts: reference[:1])
    other_model.text("anything")
    assert other_model.last_source == "torch"  # an export for another model key is never used


def test_a_failed_export_is_recorded_and_not_retried(tiny_clip, tmp_path):
    encoder, _, _ = tiny_clip
    unsupported = SimpleNamespace(**{**vars(encoder), "model": SimpleNamespace(text_pool_type="last")})
    folder = tmp_path / "onnx"
    with pytest.raises(ModelError, match="cannot be cut"):
        export_text_tower(unsupported, folder)
    assert (folder / FAILED_FILE).exists() and not OnnxTextEncoder.is_installed(folder)
    messages: list[str] = []
    queries = QueryEncoder(
        encoder.model_key, load_clip=lambda: encoder, onnx_folder=folder, export_onnx=True, notify=messages.append
    )
    queries.text("a cat")
    queries.export_if_pending()
    assert queries.last_source == "torch" and messages == []  # no second attempt
