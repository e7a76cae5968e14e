"""CLIP through open_clip: the image and text encoder behind search.

Building, adapting checkpoints and downloading live here; weights.py decides where files go
and loading.py when a model is built. This module imports torch at the top: import it lazily.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from photo_organizer.models.registry import ModelSpec
from photo_organizer.models.runtime import TorchImageEncoder, unit_rows
from photo_organizer.models.torch_compat import import_torch

torch = import_torch()
import open_clip  # noqa: E402 - after import_torch (torchvision fix)
from open_clip.factory import convert_to_custom_text_state_dict, resize_pos_embed, resize_text_pos_embed  # noqa: E402


@contextlib.contextmanager
def _quiet_open_clip() -> Iterator[None]:
    """open_clip logs "initialized randomly" on the root logger for every model we build."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(previous, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(previous)


def build_model(spec: ModelSpec, *, device: str = "cpu") -> torch.nn.Module:
    """The open_clip architecture of ``spec``. On ``meta`` it is free: shapes only, no init."""
    with _quiet_open_clip(), torch.device(device):
        model = open_clip.create_model(spec.architecture, pretrained=None, load_weights=False, device=device)
    return model.eval()


def finish_meta_model(model: torch.nn.Module) -> None:
    """Rebuild what a checkpoint does not carry: the text tower's causal attention mask
    (a non-persistent buffer, -inf above the diagonal, as open_clip builds it)."""
    for module in model.modules():
        mask = module._buffers.get("attn_mask")
        if mask is not None and mask.is_meta:
            size = mask.shape[-1]
            causal = torch.full((size, size), float("-inf")).triu_(1)
            module.register_buffer("attn_mask", causal, persistent=False)


def adapt_state_dict(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The conversions open_clip's own ``load_checkpoint`` applies, without reading a file."""
    state = dict(state)
    if "positional_embedding" in state and not hasattr(model, "positional_embedding"):
        state = convert_to_custom_text_state_dict(state)
    logit_scale = getattr(model, "logit_scale", None)
    if "logit_scale" in state and logit_scale is not None and logit_scale.ndim != state["logit_scale"].ndim:
        state["logit_scale"] = state["logit_scale"].reshape(logit_scale.shape)
    state.pop("text.transformer.embeddings.position_ids", None)
    for key in ("input_resolution", "context_length", "vocab_size"):  # OpenAI archive extras
        state.pop(key, None)
    if "visual.positional_embedding" in state and hasattr(model.visual, "positional_embedding"):
        resize_pos_embed(state, model)
    if "positional_embedding" in state and hasattr(model, "positional_embedding"):
        resize_text_pos_embed(state, model)
    return state


def download_checkpoint(spec: ModelSpec, cache_dir: Path) -> dict[str, torch.Tensor]:
    """Fetch the pretrained file through open_clip's own hub download and read it safely."""
    from photo_organizer.models.weights import read_checkpoint

    config = open_clip.get_pretrained_cfg(spec.architecture, spec.pretrained_tag)
    path = open_clip.download_pretrained(config, cache_dir=str(cache_dir))
    return read_checkpoint(Path(path))


def preprocess_config(spec: ModelSpec, model: torch.nn.Module) -> dict[str, Any]:
    """The model's preprocessing, with what the pretrained tag overrides (mean, std, resize)."""
    config = dict(model.visual.preprocess_cfg)
    tag_config = open_clip.get_pretrained_cfg(spec.architecture, spec.pretrained_tag)
    for name in ("mean", "std", "interpolation", "resize_mode"):
        if tag_config.get(name):
            config[name] = tag_config[name]
    return config


class ClipEncoder(TorchImageEncoder):
    """open_clip image and text towers; features L2-normalised, returned as float32."""

    role = "clip"

    def __init__(self, spec: ModelSpec, model: torch.nn.Module, model_key: str, device: Any, dtype: Any) -> None:
        config = preprocess_config(spec, model)
        transform = open_clip.image_transform(
            spec.input_size,
            is_train=False,
            mean=config["mean"],
            std=config["std"],
            resize_mode=config["resize_mode"],
            interpolation=config["interpolation"],
        )
        super().__init__(spec, model, model_key, device, dtype, transform)
        self._tokenizer = open_clip.get_tokenizer(spec.architecture)

    def image_features(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(batch)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        tokens = self._tokenizer(list(texts)).to(self.device)
        with torch.inference_mode():
            features = self.model.encode_text(tokens)
        return unit_rows(features)
