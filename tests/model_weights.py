"""Weights files for the model tests: real architectures with random (seeded) weights.

Building a random model costs seconds here, so each file is made once per test session and
shared; an installed-weights folder (the layout `models import` writes) is shared the same
way through ``PHOTO_ORGANIZER_WEIGHTS_PATH``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from photo_organizer.home import DataHome
from photo_organizer.models import weights
from photo_organizer.models.registry import get_spec

SMALL_DINO = "vit_small_patch14_dinov2"
DEFAULT_CLIP = "ViT-B-32"
DEFAULT_DINO = "vit_base_patch14_dinov2"

_models: dict[str, Any] = {}
_files: dict[tuple[str, str], Path] = {}
_installed: set[str] = set()


def random_model(name: str) -> Any:
    """The architecture of ``name`` with seeded random weights, fp32, eval mode (cached)."""
    if name not in _models:
        from photo_organizer.models.loading import _model_with_random_weights

        _models[name] = _model_with_random_weights(get_spec(name)).eval()
    return _models[name]


def random_weights_file(base: Path, name: str, layout: str = "state_dict") -> Path:
    """A file as users have them, holding ``random_model(name)``'s weights in fp16.

    layout: "state_dict" (open_clip .bin / timm .pth), "safetensors", or "meta" (Meta's
    original DINOv2 file: mask token, position embedding at 518 px).
    """
    key = (name, layout)
    if key not in _files:
        import torch

        state = {k: v.detach().half().clone() for k, v in random_model(name).state_dict().items()}
        base.mkdir(parents=True, exist_ok=True)
        if layout == "safetensors":
            from safetensors.torch import save_file

            path = base / f"{name}.safetensors"
            save_file(state, str(path))
        elif layout == "meta":
            path = base / f"{name}_meta_pretrain.pth"
            torch.save(_as_meta_dinov2(state), path)
        else:
            path = base / f"{name}.bin"
            torch.save(state, path)
        _files[key] = path
    return _files[key]


def _as_meta_dinov2(state: dict[str, Any]) -> dict[str, Any]:
    """timm DINOv2 weights written the way Meta's released .pth files are."""
    import torch
    from timm.layers import resample_abs_pos_embed

    meta = dict(state)
    meta["mask_token"] = torch.zeros(1, state["cls_token"].shape[-1], dtype=state["cls_token"].dtype)
    meta["pos_embed"] = resample_abs_pos_embed(state["pos_embed"].float(), (37, 37), num_prefix_tokens=1).half()
    return meta


def installed_weights_dir(base: Path, *names: str) -> Path:
    """A weights folder with ``names`` imported, shared by the session (point
    ``PHOTO_ORGANIZER_WEIGHTS_PATH`` at it)."""
    home = DataHome(base / "shared-home")
    home.weights_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name not in _installed:
            weights.import_weights(home, name, random_weights_file(base, name))
            _installed.add(name)
    return home.weights_dir


def tiny_open_clip(*, vision_layers: int = 1, vision_width: int = 32, head_width: int = 16, patch_size: int = 16, text_layers: int = 2) -> Any:
    """A tiny seeded open_clip CLIP (32-d, 32 px input, the real tokenizer's vocabulary) with
    the preprocessing configuration ``open_clip.create_model`` would attach."""
    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()
    import open_clip
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg

    torch.manual_seed(0)
    model = open_clip.CLIP(
        embed_dim=32,
        vision_cfg=CLIPVisionCfg(layers=vision_layers, width=vision_width, head_width=head_width, patch_size=patch_size, image_size=32),
        text_cfg=CLIPTextCfg(context_length=77, vocab_size=49408, width=32, heads=2, layers=text_layers),
    ).eval()
    model.visual.preprocess_cfg = {
        "size": 32, "mode": "RGB", "mean": open_clip.OPENAI_DATASET_MEAN, "std": open_clip.OPENAI_DATASET_STD,
        "interpolation": "bicubic", "resize_mode": "shortest", "fill_color": 0,
    }
    return model
