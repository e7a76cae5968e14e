"""Build the active encoders on first use, once per process.

``load_clip(home, library)`` and ``load_dino(home, library)`` return the encoder the library's
settings name, with its installed weights, on the best device (runtime.py). They raise
``WeightsMissingError`` whose message names the command to run. ``active_model_key`` gives the
key embeddings are stored under without building anything (no torch import).

Test-only escape hatch: ``PHOTO_ORGANIZER_RANDOM_WEIGHTS=1`` builds the real architectures
with random weights (seeded), stored under a ``random`` weights id so they never mix with
real embeddings. The command line prints ``RANDOM_WEIGHTS_WARNING`` whenever it is set.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from photo_organizer.errors import WeightsMismatchError
from photo_organizer.home import DataHome
from photo_organizer.models.itae import ITAESettings, load_settings
from photo_organizer.models.registry import CLIP, DINO, RANDOM_WEIGHTS, ModelSpec, active_spec, model_key
from photo_organizer.models.weights import InstalledWeights, find_installed, read_checkpoint, require_installed, role_module

if TYPE_CHECKING:
    from photo_organizer.models.clip import ClipEncoder
    from photo_organizer.models.dino import DinoEncoder

RANDOM_WEIGHTS_ENV = "PHOTO_ORGANIZER_RANDOM_WEIGHTS"
RANDOM_WEIGHTS_WARNING = (
    "WARNING: PHOTO_ORGANIZER_RANDOM_WEIGHTS is set: the models run with RANDOM weights. "
    "Search results and albums are meaningless; this mode only tests the pipeline."
)

_cache: dict[str, tuple[tuple[Any, ...], Any]] = {}  # role -> (what it was built from, encoder)
_cache_lock = threading.Lock()


def random_weights_requested() -> bool:
    return os.environ.get(RANDOM_WEIGHTS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def itae_settings(library: Any, spec: ModelSpec) -> ITAESettings:
    """The library's ITAE settings as they apply to this DINOv2 model (θ is per model)."""
    return load_settings(library).for_model(spec.name)


def _weights_id(home: DataHome, spec: ModelSpec) -> str | None:
    if random_weights_requested():
        return RANDOM_WEIGHTS
    installed = find_installed(home, spec)
    return installed.weights_id if installed else None


def active_model_key(home: DataHome, library: Any, role: str) -> str | None:
    """The key the active ``role`` model stores embeddings under; None when the role is off
    or its weights are not installed. Builds nothing, imports no torch."""
    spec = active_spec(library, role)
    if spec is None:
        return None
    weights_id = _weights_id(home, spec)
    if weights_id is None:
        return None
    suffix = itae_settings(library, spec).key_suffix() if role == DINO else ""
    return model_key(spec, weights_id, suffix)


def load_clip(home: DataHome, library: Any) -> "ClipEncoder":
    """The library's CLIP image+text encoder (built on first call, then cached)."""
    return load_encoder(home, library, CLIP)


def load_dino(
    home: DataHome, library: Any, *, spec: ModelSpec | None = None, itae: ITAESettings | None = None
) -> "DinoEncoder":
    """The library's DINOv2 encoder, with ITAE as the library sets it (built once, cached).
    ``spec`` and ``itae`` override the library's choice (evaluation compares ITAE on and off)."""
    return load_encoder(home, library, DINO, spec=spec, itae=itae)


def load_encoder(
    home: DataHome, library: Any, role: str, *, spec: ModelSpec | None = None, itae: ITAESettings | None = None
) -> Any:
    from photo_organizer.errors import ModelError

    spec = spec or active_spec(library, role)
    if spec is None:
        raise ModelError(f"The {role} model is turned off in this library; `photo-organizer models use NAME` turns it on.")
    installed = None if random_weights_requested() else require_installed(home, spec)
    if role == DINO:
        itae = itae if itae is not None else itae_settings(library, spec)
    else:
        itae = None
    weights_id = installed.weights_id if installed else RANDOM_WEIGHTS
    key = model_key(spec, weights_id, itae.key_suffix() if itae else "")
    cache_key = (key, str(installed.path) if installed else None, itae)
    with _cache_lock:
        cached = _cache.get(role)
        if cached is None or cached[0] != cache_key:
            _cache.pop(role, None)  # one encoder per role: a replaced model frees its memory
            _cache[role] = (cache_key, _build_encoder(spec, installed, key, itae))
        return _cache[role][1]


def clear_cache() -> None:
    """Forget built encoders (tests; after re-importing weights in a running app)."""
    with _cache_lock:
        _cache.clear()


def _build_encoder(spec: ModelSpec, installed: InstalledWeights | None, key: str, itae: ITAESettings | None) -> Any:
    from photo_organizer.models.runtime import choose_device

    device, dtype = choose_device()
    model = _model_with_weights(spec, installed) if installed else _model_with_random_weights(spec)
    model = model.to(device=device, dtype=dtype).eval()
    if spec.role == CLIP:
        from photo_organizer.models.clip import ClipEncoder

        return ClipEncoder(spec, model, key, device, dtype)
    from photo_organizer.models.dino import DinoEncoder

    return DinoEncoder(spec, model, key, device, dtype, itae or ITAESettings())


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
