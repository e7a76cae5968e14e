"""DINOv2 through timm: the image encoder behind automatic albums.

The feature is the CLS token after the final LayerNorm (timm ``model(x)`` with
``num_classes=0``), L2-normalised, at 224 px. ITAE (models/itae.py) replaces the last
block's attention when the library enables it (loading.itae_settings reads the setting);
its settings are part of the model key.
This module imports torch at the top: import it lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from photo_organizer.models.itae import ITAESettings, apply_itae
from photo_organizer.models.registry import ModelSpec
from photo_organizer.models.runtime import TorchImageEncoder
from photo_organizer.models.torch_compat import import_torch

torch = import_torch()
import timm  # noqa: E402 - after import_torch (torchvision fix)
from timm.data import create_transform  # noqa: E402
from timm.models.vision_transformer import checkpoint_filter_fn  # noqa: E402


def build_model(spec: ModelSpec, *, device: str = "cpu") -> torch.nn.Module:
    """The timm architecture at the spec's input size. On ``meta`` it is free: shapes only."""
    with torch.device(device):
        model = timm.create_model(spec.architecture, pretrained=False, num_classes=0, img_size=spec.input_size)
    return model.eval()


def finish_meta_model(model: torch.nn.Module) -> None:
    """timm's DINOv2 keeps everything in its state dict: nothing to rebuild."""


def adapt_state_dict(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """timm's own checkpoint filter: converts Meta's original DINOv2 files (mask token,
    register tokens) and resamples the position embedding from 518 px to the model's size.
    A classifier head is dropped: features come from the CLS token."""
    state = checkpoint_filter_fn(dict(state), model)
    if isinstance(model.head, torch.nn.Identity):
        state = {key: value for key, value in state.items() if not key.startswith("head.")}
    return state


def download_checkpoint(spec: ModelSpec, cache_dir: Path) -> dict[str, torch.Tensor]:
    """Fetch the pretrained weights through timm's own Hugging Face hub download."""
    from timm.models._hub import load_state_dict_from_hf

    config = timm.models.get_pretrained_cfg(f"{spec.architecture}.{spec.pretrained_tag}")
    return load_state_dict_from_hf(config.hf_hub_id, cache_dir=cache_dir)


class DinoEncoder(TorchImageEncoder):
    """timm DINOv2 (with ITAE when enabled); CLS features L2-normalised, float32."""

    role = "dino"

    def __init__(
        self, spec: ModelSpec, model: torch.nn.Module, model_key: str, device: Any, dtype: Any, itae: ITAESettings
    ) -> None:
        config = model.pretrained_cfg
        transform = create_transform(
            input_size=(3, spec.input_size, spec.input_size),
            interpolation=config.get("interpolation", "bicubic"),
            mean=config["mean"],
            std=config["std"],
            crop_pct=1.0,
            crop_mode="center",
        )
        model = apply_itae(model, itae) if itae.enabled else model
        super().__init__(spec, model, model_key, device, dtype, transform)
        self.itae = itae

    def image_features(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model(batch)
