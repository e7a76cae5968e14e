"""The models the app knows, which one is active per role, and the keys embeddings are stored under.

Two roles: ``clip`` (search: open_clip image and text towers) and ``dino`` (albums: timm
DINOv2 CLS features). A model is named as its library names it (open_clip ``ViT-B-32``, timm
``vit_base_patch14_dinov2``), so the names match the files users find on the model hubs.

No torch import here: the window and the command line read this module at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from photo_organizer.errors import ModelError

CLIP = "clip"
DINO = "dino"
ROLES = (CLIP, DINO)
# Photos per forward in an embedding pass. DINOv2 ViT-B/14 (257 tokens a photo) on two cores:
# 4.39 photos/s at 8 against 4.15 at 16 (4.00 at 4), with 63 MB less activations at the peak
# (but see models.runtime.large_blocks_returned: what the heap keeps matters more).
PASS_BATCH_SIZE = {CLIP: 16, DINO: 8}
ROLE_PURPOSE = {CLIP: "search", DINO: "automatic albums"}

MODELS_SETTING = "models"  # library setting: {"clip": name or None, "dino": name or None}
RANDOM_WEIGHTS = "random"  # weights id of the test-only random-weights mode


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what users type: `photo-organizer models download NAME`
    role: str  # CLIP or DINO
    architecture: str  # open_clip model name or timm model name
    pretrained_tag: str  # open_clip pretrained tag or timm pretrained tag
    dim: int  # embedding dimension
    input_size: int  # square side the preprocessing produces
    size_mb: int  # approximate size of the fp32 weights
    file_hint: str  # where the weights file for `models import` can be found
    weights_label: str = ""  # what the weights are called in words, e.g. "ViT-S/14 weights (dinov2_vits14)"

    @property
    def hub_name(self) -> str:
        """The name of these weights on their hub (open_clip ``arch`` + tag, timm ``arch.tag``)."""
        if self.role == CLIP:
            return f"{self.architecture} ({self.pretrained_tag})"
        return f"{self.architecture}.{self.pretrained_tag}"


def _clip(name: str, tag: str, dim: int, size_mb: int, hf_repo: str) -> ModelSpec:
    hint = f"open_clip_pytorch_model.bin or open_clip_model.safetensors from https://huggingface.co/{hf_repo}"
    label = f"{name[::-1].replace('-', '/', 1)[::-1]} weights (open_clip {name}, {tag})"
    return ModelSpec(name, CLIP, name, tag, dim, 224, size_mb, hint, label)


def _dino(name: str, dim: int, size_mb: int, meta_file: str) -> ModelSpec:
    hint = (
        f"model.safetensors from https://huggingface.co/timm/{name}.lvd142m, or Meta's original "
        f"https://dl.fbaipublicfiles.com/dinov2/{meta_file.split('_pretrain')[0].replace('_reg4', '')}/{meta_file}"
    )
    meta_name = meta_file.split("_pretrain")[0]  # dinov2_vits14, dinov2_vitb14_reg4, ...
    size = meta_name.split("_vit")[1][0].upper()
    registers = " with registers" if "_reg4" in meta_name else ""
    label = f"ViT-{size}/14 weights{registers} ({meta_name})"
    return ModelSpec(name, DINO, name, "lvd142m", dim, 224, size_mb, hint, label)


SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _clip("ViT-B-32", "laion2b_s34b_b79k", 512, 605, "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"),
        _clip("ViT-B-16", "laion2b_s34b_b88k", 512, 599, "laion/CLIP-ViT-B-16-laion2B-s34B-b88K"),
        _clip("ViT-L-14", "laion2b_s32b_b82k", 768, 1710, "laion/CLIP-ViT-L-14-laion2B-s32B-b82K"),
        _dino("vit_small_patch14_dinov2", 384, 88, "dinov2_vits14_pretrain.pth"),
        _dino("vit_base_patch14_dinov2", 768, 346, "dinov2_vitb14_pretrain.pth"),
        _dino("vit_large_patch14_dinov2", 1024, 1217, "dinov2_vitl14_pretrain.pth"),
        _dino("vit_small_patch14_reg4_dinov2", 384, 88, "dinov2_vits14_reg4_pretrain.pth"),
        _dino("vit_base_patch14_reg4_dinov2", 768, 346, "dinov2_vitb14_reg4_pretrain.pth"),
        _dino("vit_large_patch14_reg4_dinov2", 1024, 1217, "dinov2_vitl14_reg4_pretrain.pth"),
    )
}

DEFAULT_MODELS: dict[str, str] = {CLIP: "ViT-B-32", DINO: "vit_base_patch14_dinov2"}


def get_spec(name: str) -> ModelSpec:
    """The spec named ``name`` (case-insensitive); a typo gets the list of known names."""
    if name in SPECS:
        return SPECS[name]
    for spec in SPECS.values():
        if spec.name.lower() == name.lower():
            return spec
    known = ", ".join(SPECS)
    raise ModelError(f"Unknown model {name!r}. Known models: {known}. See `photo-organizer models list`.")


def specs_for_role(role: str) -> list[ModelSpec]:
    _check_role(role)
    return [spec for spec in SPECS.values() if spec.role == role]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ModelError(f"Unknown model role {role!r}; the roles are {', '.join(ROLES)}.")


# ---- which model is active in a library ----------------------------------------------------


def _stored_choice(library: Any) -> dict[str, Any]:
    value = library.get_setting(MODELS_SETTING)
    return value if isinstance(value, dict) else {}


def active_spec(library: Any, role: str) -> ModelSpec | None:
    """The model the library uses for ``role``; None when the user turned the role off."""
    _check_role(role)
    choice = _stored_choice(library)
    if role in choice and choice[role] is None:
        return None
    return get_spec(choice.get(role) or DEFAULT_MODELS[role])


def enabled_roles(library: Any) -> list[str]:
    """The roles whose embeddings indexing computes, CLIP first (search comes first)."""
    return [role for role in ROLES if active_spec(library, role) is not None]


def set_active_model(library: Any, name: str) -> ModelSpec:
    """Make ``name`` the model of its role. Embeddings of the previous model stay stored."""
    spec = get_spec(name)
    library.set_setting(MODELS_SETTING, {**_stored_choice(library), spec.role: spec.name})
    return spec


def disable_role(library: Any, role: str) -> None:
    """Stop computing ``role`` embeddings (``set_active_model`` turns it back on)."""
    _check_role(role)
    library.set_setting(MODELS_SETTING, {**_stored_choice(library), role: None})


# ---- model keys ------------------------------------------------------------------------------


def model_key(spec: ModelSpec, weights_id: str, suffix: str = "") -> str:
    """The key embeddings are stored under: role, model, weights, preprocessing (and ITAE).

    ``weights_id`` is the pretrained tag plus a digest of the installed file (or ``random``),
    so importing different weights under the same name re-embeds instead of mixing vectors.
    """
    key = f"{spec.role}:{spec.architecture}:{weights_id}:{spec.input_size}px"
    return f"{key}:{suffix}" if suffix else key


def parse_model_key(key: str) -> dict[str, str]:
    """The parts of a model key (role, architecture, weights, preprocessing, suffix)."""
    parts = key.split(":", 4)
    if len(parts) < 4 or parts[0] not in ROLES:
        raise ModelError(f"{key!r} is not a model key.")
    names = ("role", "architecture", "weights", "preprocessing", "suffix")
    return dict(zip(names, parts + [""] * (5 - len(parts))))
