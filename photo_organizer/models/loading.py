"""Build an encoder from a spec and its installed weights (or seeded random weights).

``ModelProvider`` (provider.py) decides which model, which weights and which device, and keeps
the built encoders; this module only builds them. Importing it does not import torch.
"""

from __future__ import annotations

from typing import Any

from photo_organizer.errors import WeightsMismatchError
from photo_organizer.models.itae import ITAESettings, load_settings
from photo_organizer.models.registry import CLIP, ModelSpec
from photo_organizer.models.weights import InstalledWeights, read_checkpoint, role_module


def itae_settings(library: Any, spec: ModelSpec) -> ITAESettings:
    """The library's ITAE settings as they apply to this DINOv2 model (θ is per model)."""
    return load_settings(library).for_model(spec.name)


def build_encoder(
    spec: ModelSpec, installed: InstalledWeights | None, key: str, itae: ITAESettings | None, device: str = ""
) -> Any:
    """The encoder of ``spec`` on ``device`` ("" = the best this machine has); random weights
    when ``installed`` is None."""
    from photo_organizer.models.runtime import choose_device

    torch_device, dtype = choose_device(device)
    model = _model_with_weights(spec, installed) if installed else _model_with_random_weights(spec)
    model = model.to(device=torch_device, dtype=dtype).eval()
    if spec.role == CLIP:
        from photo_organizer.models.clip import ClipEncoder

        return ClipEncoder(spec, model, key, torch_device, dtype)
    from photo_organizer.models.dino import DinoEncoder

    return DinoEncoder(spec, model, key, torch_device, dtype, itae or ITAESettings())


def _model_with_weights(spec: ModelSpec, installed: InstalledWeights) -> Any:
    """Build on ``meta`` (no random init: seconds saved) and assign the installed tensors."""
    module = role_module(spec)
    model = module.build_model(spec, device="meta")
    state = read_checkpoint(installed.path)
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as error:
        raise WeightsMismatchError(
            f"The installed weights {installed.path} do not fit {spec.name} ({str(error).splitlines()[0]}). "
            f"Import or download them again (`photo-organizer models import {spec.name} FILE`)."
        ) from None
    module.finish_meta_model(model)
    leftovers = [name for name, tensor in [*model.named_parameters(), *model.named_buffers()] if tensor.is_meta]
    if leftovers:
        raise WeightsMismatchError(f"{spec.name} was built without values for {', '.join(leftovers[:3])}.")
    return model


def _model_with_random_weights(spec: ModelSpec) -> Any:
    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return role_module(spec).build_model(spec)
