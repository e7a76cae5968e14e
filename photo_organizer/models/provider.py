"""The models one app instance uses: which weights, which device, and the built encoders.

A ``ModelProvider`` is built once per entry point (command line, window, self-test) from its
arguments and environment (``photo_organizer.environment``) and travels on the ``AppContext``
(``ctx.models``). Nothing in ``models/`` reads the environment or keeps global state, so two
providers (two libraries, a self-test inside a running app, two tests) never share an encoder.

``active_key`` names the key embeddings are stored under without building anything (no torch
import); ``clip``/``dino``/``encoder`` build the library's active model on first use and keep
one encoder per role (a replaced model frees its memory). ``random_weights`` builds the real
architectures with seeded random weights, stored under a ``random`` weights id so they never
mix with real embeddings: a test-only mode the command line warns about.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photo_organizer.errors import ModelError
from photo_organizer.home import DataHome
from photo_organizer.models import loading, weights
from photo_organizer.models.itae import ITAESettings
from photo_organizer.models.registry import (
    CLIP,
    DINO,
    RANDOM_WEIGHTS,
    ModelSpec,
    active_spec,
    enabled_roles,
    model_key,
)
from photo_organizer.models.weights import DigestCache, InstalledWeights

if TYPE_CHECKING:
    from photo_organizer.models.clip import ClipEncoder
    from photo_organizer.models.dino import DinoEncoder

DEVICES = ("", "cpu", "cuda", "mps")  # "": the best this machine has


@dataclass(frozen=True)
class ModelOptions:
    random_weights: bool = False
    weights_folders: tuple[Path, ...] = ()  # searched after the data home's own weights folder
    device: str = ""

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ModelError(f"The model device must be cpu, cuda or mps, not {self.device!r}.")


class ModelProvider:
    def __init__(self, home: DataHome, options: ModelOptions | None = None) -> None:
        self.home = home
        self.options = options or ModelOptions()
        self.digests = DigestCache(home)
        self._encoders: dict[str, tuple[tuple[Any, ...], Any]] = {}  # role -> (built from, encoder)
        self._lock = threading.Lock()

    # ---- weights ------------------------------------------------------------------------

    def weights_folders(self) -> list[Path]:
        return weights.search_path(self.home, self.options.weights_folders)

    def installed(self, spec: ModelSpec) -> InstalledWeights | None:
        """The installed weights of ``spec`` (size checked: cheap enough for every key lookup;
        the SHA-256 is checked when the model loads and when weights are listed)."""
        return weights.find_installed(self.weights_folders(), spec)

    def listing(self) -> list[tuple[ModelSpec, InstalledWeights | None]]:
        """Every known model with its intact installed weights (None when missing or damaged)."""
        return weights.listing(self.weights_folders(), self.digests)

    def damaged(self, spec: ModelSpec) -> str | None:
        """Why installed weights of ``spec`` are not used (changed or incomplete), if they are not."""
        return weights.damaged_install(self.weights_folders(), spec, self.digests)

    def import_weights(self, name: str, file: Path | str) -> InstalledWeights:
        installed = weights.import_weights(self.home, name, file, self.digests)
        self.clear()
        return installed

    def download_weights(self, name: str) -> InstalledWeights:
        installed = weights.download_weights(self.home, name, self.digests)
        self.clear()
        return installed

    def missing_weights(self, library: Any) -> list[ModelSpec]:
        """The enabled models whose weights are not installed (none in random-weights mode)."""
        if self.options.random_weights:
            return []
        specs = [active_spec(library, role) for role in enabled_roles(library)]
        return [spec for spec in specs if spec is not None and self.installed(spec) is None]

    # ---- keys and encoders --------------------------------------------------------------

    def active_key(self, library: Any, role: str) -> str | None:
        """The key the active ``role`` model stores embeddings under; None when the role is
        off or its weights are not installed. Builds nothing, imports no torch."""
        spec = active_spec(library, role)
        if spec is None:
            return None
        weights_id = RANDOM_WEIGHTS if self.options.random_weights else getattr(self.installed(spec), "weights_id", None)
        if weights_id is None:
            return None
        suffix = loading.itae_settings(library, spec).key_suffix() if role == DINO else ""
        return model_key(spec, weights_id, suffix)

    def clip(self, library: Any) -> ClipEncoder:
        """The library's CLIP image+text encoder (built on first call, then kept)."""
        return self.encoder(library, CLIP)

    def dino(self, library: Any, spec: ModelSpec | None = None, itae: ITAESettings | None = None) -> DinoEncoder:
        """The library's DINOv2 encoder with its ITAE settings; ``spec`` and ``itae`` override
        the library's choice (evaluation compares ITAE on and off)."""
        return self.encoder(library, DINO, spec=spec, itae=itae)

    def encoder(
        self, library: Any, role: str, *, spec: ModelSpec | None = None, itae: ITAESettings | None = None
    ) -> Any:
        spec = spec or active_spec(library, role)
        if spec is None:
            raise ModelError(f"The {role} model is turned off in this library; `photo-organizer models use NAME` turns it on.")
        installed, itae, key, built_from = self._recipe(library, role, spec, itae)
        with self._lock:
            cached = self._encoders.get(role)
            if cached is None or cached[0] != built_from:
                self._encoders.pop(role, None)  # one encoder per role: a replaced model frees its memory
                self._encoders[role] = (built_from, loading.build_encoder(spec, installed, key, itae, self.options.device))
            return self._encoders[role][1]

    def _recipe(
        self, library: Any, role: str, spec: ModelSpec, itae: ITAESettings | None
    ) -> tuple[InstalledWeights | None, ITAESettings | None, str, tuple[Any, ...]]:
        """(installed weights, ITAE settings, model key, what the encoder is built from)."""
        installed = None if self.options.random_weights else weights.require_installed(self.weights_folders(), spec, self.digests)
        if role == DINO:
            itae = itae if itae is not None else loading.itae_settings(library, spec)
        else:
            itae = None
        key = model_key(spec, installed.weights_id if installed else RANDOM_WEIGHTS, itae.key_suffix() if itae else "")
        return installed, itae, key, (key, str(installed.path) if installed else None, itae, self.options.device)

    def retune_dino(self, library: Any, encoder: DinoEncoder) -> DinoEncoder:
        """``encoder`` (the library's DINOv2) switched in place to the library's ITAE settings as
        they are now, after a calibration: the weights are neither read nor held twice."""
        _installed, itae, key, built_from = self._recipe(library, DINO, encoder.spec, None)
        assert itae is not None
        with self._lock:
            encoder.use_itae(itae, key)
            self._encoders[DINO] = (built_from, encoder)
        return encoder

    def clear(self) -> None:
        """Forget built encoders (after weights were imported or downloaded)."""
        self.release()

    def release(self, keep: Collection[str] = ()) -> None:
        """Forget the built encoders of every role not in ``keep`` and hand freed memory back
        to the system (a finished pass must not hold a model while the next one runs). An
        encoder someone else still holds stays alive with them."""
        with self._lock:
            dropped = [role for role in self._encoders if role not in keep]
            for role in dropped:
                del self._encoders[role]
        from photo_organizer.models.runtime import give_memory_back

        give_memory_back()  # also what the previous stage left (an export's buffers)
