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
from photo_organizer.models.runtime import TorchImageEncoder, unit_rows
from photo_organizer.models.torch_compat import import_torch

torch = import_torch()
import numpy as np  # noqa: E402
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

    def last_block_inputs(self, batch: torch.Tensor) -> torch.Tensor:
        """The tokens entering the last block, (B, tokens, width) on the model's device: every
        block but the last runs (the forward stops there)."""
        captured: list[torch.Tensor] = []

        def stop_here(module: Any, args: tuple[Any, ...]) -> None:
            captured.append(args[0])
            raise _ReachedLastBlock

        handle = self.model.blocks[-1].register_forward_pre_hook(stop_here)
        try:
            with torch.inference_mode():
                self.model.forward_features(batch.to(self.device, self.dtype))
        except _ReachedLastBlock:
            pass
        finally:
            handle.remove()
        return captured[0]

    def finish_last_block(self, tokens: torch.Tensor) -> np.ndarray:
        """Features from ``last_block_inputs``: the last block (with ITAE as now set), the final
        norm and the head, as ``encode_images`` would have computed them."""
        with torch.inference_mode():
            features = self.model.forward_head(self.model.norm(self.model.blocks[-1](tokens)))
        return unit_rows(features)

    def use_itae(self, itae: ITAESettings, model_key: str) -> None:
        """Switch the built model to other ITAE settings in place (no second model in memory)."""
        if itae.enabled or self.itae.enabled:
            apply_itae(self.model, itae)
        self.itae = itae
        self.model_key = model_key


class _ReachedLastBlock(Exception):
    """Stops a forward at the last block's input (``DinoEncoder.last_block_inputs``)."""
