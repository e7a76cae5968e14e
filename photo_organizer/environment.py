"""What the entry points read from the environment, in one place.

The command line, the window and the self-test each build their ``ModelProvider`` from
``model_options_from_environment()`` (the self-test then overrides it); no module below them
reads these variables. ``PHOTO_ORGANIZER_HOME`` is read by ``home.resolve_home``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from photo_organizer.errors import ModelError
from photo_organizer.models.provider import DEVICES, ModelOptions

RANDOM_WEIGHTS_ENV = "PHOTO_ORGANIZER_RANDOM_WEIGHTS"  # test-only: real architectures, random weights
WEIGHTS_PATH_ENV = "PHOTO_ORGANIZER_WEIGHTS_PATH"  # extra weights folders, os.pathsep-separated
DEVICE_ENV = "PHOTO_ORGANIZER_DEVICE"  # cpu, cuda or mps instead of the best device

RANDOM_WEIGHTS_WARNING = (
    "WARNING: PHOTO_ORGANIZER_RANDOM_WEIGHTS is set: the models run with RANDOM weights. "
    "Search results and albums are meaningless; this mode only tests the pipeline."
)


def model_options_from_environment(environ: Mapping[str, str] | None = None) -> ModelOptions:
    environ = os.environ if environ is None else environ
    device = environ.get(DEVICE_ENV, "").strip().lower()
    if device not in DEVICES:
        raise ModelError(f"{DEVICE_ENV} must be cpu, cuda or mps, not {device!r}.")
    extra = environ.get(WEIGHTS_PATH_ENV, "")
    return ModelOptions(
        random_weights=environ.get(RANDOM_WEIGHTS_ENV, "").strip().lower() in ("1", "true", "yes", "on"),
        weights_folders=tuple(Path(part).expanduser() for part in extra.split(os.pathsep) if part),
        device=device,
    )
