"""Model weights on disk: find, import, download, check.

Every installed model is a folder ``<weights dir>/<NAME>/`` with a ``model*.safetensors`` (the
checkpoint already converted to the architecture, so loading is a plain safetensors read)
and ``manifest.json`` (which file, where it came from, its size and SHA-256; the digest
enters the model key).

Users bring the files they have: open_clip checkpoints (.bin, .pt, .safetensors), timm
checkpoints and Meta's original DINOv2 ``.pth``. Files are read with safetensors or
``torch.load(weights_only=True)`` only, converted by the libraries' own checkpoint filters,
and refused with the model's name and the mismatch when they do not fit.

Weights are searched in the data home, then in the extra folders the entry point was given
(``ModelProvider``: same layout), then in the weights a frozen app bundles.
No network access happens here except in ``download_weights``, which the user asks for; its
reachability probe reads the hub client's own variables (``HF_ENDPOINT``, ``HF_HUB_OFFLINE``,
the proxy variables), the only environment this package reads.

An install is atomic: the weights go to a content-addressed ``model-<sha>.safetensors`` and the
manifest naming it is renamed into place last, so a kill leaves the old install or the new
one. Loading checks size and SHA-256 (``DigestCache``) and refuses a file that does not match.
Importing this module does not import torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from photo_organizer.errors import (
    ModelError,
    OfflineError,
    WeightsMismatchError,
    WeightsMissingError,
)
from photo_organizer.home import DataHome
from photo_organizer.models.registry import (
    CLIP,
    ROLE_PURPOSE,
    SPECS,
    ModelSpec,
    get_spec,
    specs_for_role,
)
from photo_organizer.private_files import private_umask

if TYPE_CHECKING:
    import torch

WEIGHTS_FILE = "model.safetensors"
MANIFEST_FILE = "manifest.json"
PARTIAL = ".partial"
DIGESTS_FILE = "weights_digests.json"  # in the data home's cache folder
DOWNLOAD_TIMEOUT_S = 5.0
_MAX_LISTED = 3  # mismatching tensor names shown in a refusal


@dataclass(frozen=True)
class InstalledWeights:
    spec: ModelSpec
    folder: Path
    sha256: str
    source: str  # "import" or "download"
    origin: str  # the imported file, or the hub it came from
    installed_at: float
    size_bytes: int
    file_name: str = WEIGHTS_FILE  # the manifest names its weights file (content-addressed)

    @property
    def path(self) -> Path:
        return self.folder / self.file_name

    @property
    def weights_id(self) -> str:
        """Pretrained tag plus the file's digest: the weights part of the model key."""
        return f"{self.spec.pretrained_tag}@{self.sha256[:10]}"


# ---- finding ---------------------------------------------------------------------------------


def search_path(home: DataHome, extra: Sequence[Path] = ()) -> list[Path]:
    """Folders holding installed weights, in the order they are searched: the data home's,
    the ``extra`` folders the entry point was given, then those a frozen app bundles."""
    folders = [home.weights_dir, *extra]
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        folders.append(Path(bundle_root) / "weights")
    return folders


def size_mb(spec: ModelSpec, installed: InstalledWeights | None) -> int:
    """The weights' size as `models list` and the Settings dialog show it: the installed
    file's when there is one, else the model's announced download size."""
    return round(installed.size_bytes / 1e6) if installed is not None else spec.size_mb


def find_installed(folders: Sequence[Path], spec: ModelSpec, digests: DigestCache | None = None) -> InstalledWeights | None:
    """The first intact installation of ``spec`` (size and, with ``digests``, SHA-256 checked)."""
    for folder in folders:
        installed = _read_manifest(folder / spec.name, spec)
        if installed is not None and damage(installed, digests) is None:
            return installed
    return None


def _read_manifest(folder: Path, spec: ModelSpec) -> InstalledWeights | None:
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("name") != spec.name:
        return None
    return InstalledWeights(
        spec=spec,
        folder=folder,
        sha256=str(manifest.get("sha256", "")),
        source=str(manifest.get("source", "import")),
        origin=str(manifest.get("origin", "")),
        installed_at=float(manifest.get("installed_at", 0.0)),
        size_bytes=int(manifest.get("size_bytes", 0)),
        file_name=Path(str(manifest.get("file", WEIGHTS_FILE))).name,
    )


def damage(installed: InstalledWeights, digests: DigestCache | None = None) -> str | None:
    """Why an installation cannot be trusted (missing file, other size, other SHA-256); None
    when it is intact. Without ``digests`` only the size is checked."""
    try:
        size = installed.path.stat().st_size
    except OSError:
        return f"its weights file {installed.path} is missing"
    if size != installed.size_bytes:
        return f"{installed.path} has {size} bytes but its manifest says {installed.size_bytes}"
    if digests is not None and digests.sha256(installed.path) != installed.sha256:
        return f"the SHA-256 of {installed.path} is not the one its manifest records"
    return None


def require_installed(folders: Sequence[Path], spec: ModelSpec, digests: DigestCache | None = None) -> InstalledWeights:
    """The intact installation of ``spec``; a damaged one is refused naming what is wrong."""
    installed = find_installed(folders, spec, digests)
    if installed is not None:
        return installed
    problem = damaged_install(folders, spec, digests)
    if problem:
        raise WeightsMismatchError(
            f"The installed weights of {spec.name} are damaged or incomplete ({problem}). "
            f"Import or download them again: `photo-organizer models import {spec.name} FILE`."
        )
    raise WeightsMissingError(missing_weights_message(spec))


def damaged_install(folders: Sequence[Path], spec: ModelSpec, digests: "DigestCache | None" = None) -> str | None:
    """What is wrong with the first installation of ``spec`` that cannot be trusted, if any."""
    for folder in folders:
        found = _read_manifest(folder / spec.name, spec)
        problem = damage(found, digests) if found else None
        if problem:
            return problem
    return None


def missing_weights_message(spec: ModelSpec) -> str:
    """What to do when ``spec`` has no weights: the exact commands, online and offline."""
    return (
        f"The {spec.role.upper()} model {spec.name} ({ROLE_PURPOSE[spec.role]}) has no weights installed. "
        f"Online, run `photo-organizer models download {spec.name}`. "
        f"Offline, get {spec.file_hint} on another machine, then run "
        f"`photo-organizer models import {spec.name} FILE`."
    )


def listing(folders: Sequence[Path], digests: DigestCache | None = None) -> list[tuple[ModelSpec, InstalledWeights | None]]:
    return [(spec, find_installed(folders, spec, digests)) for spec in SPECS.values()]


class DigestCache:
    """SHA-256 of weights files, remembered by (path, size, mtime) in a small JSON file, so a
    normal load does not re-hash hundreds of megabytes but a changed file is hashed again. It
    lives in ``home``'s cache folder, touched on first use (building a provider writes nothing)."""

    def __init__(self, home: DataHome) -> None:
        self.home = home
        self._entries: dict[str, list[Any]] | None = None
        self._lock = threading.Lock()

    def sha256(self, file: Path) -> str:
        stat = file.stat()
        name = str(file.resolve())
        with self._lock:
            entry = self._load().get(name)
        if entry is not None and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return str(entry[2])
        digest = file_sha256(file)
        self.remember(file, digest)
        return digest

    def remember(self, file: Path, digest: str) -> None:
        stat = file.stat()
        with self._lock:
            entries = self._load()
            entries[str(file.resolve())] = [stat.st_size, stat.st_mtime_ns, digest]
            try:
                path = self.home.cache_dir / DIGESTS_FILE
                partial = path.with_name(path.name + PARTIAL)
                partial.write_text(json.dumps(entries), encoding="utf-8")
                os.replace(partial, path)
            except OSError:
                pass  # a read-only data home only costs a re-hash next time

    def _load(self) -> dict[str, list[Any]]:
        if self._entries is None:
            try:
                loaded = json.loads((self.home.cache_dir / DIGESTS_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
            self._entries = loaded if isinstance(loaded, dict) else {}
        return self._entries


# ---- reading checkpoint files ----------------------------------------------------------------


def read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """A flat name -> tensor dict from a safetensors or PyTorch file, never unpickling code."""
    if not path.is_file():
        raise ModelError(f"{path} is not a file.")
    if _looks_like_safetensors(path):
        state = _read_safetensors(path)
    else:
        state = _read_torch_file(path)
    return _unwrap(state, path)


def _looks_like_safetensors(path: Path) -> bool:
    """A safetensors file starts with an 8-byte header length and a JSON header."""
    if path.suffix == ".safetensors":
        return True
    with path.open("rb") as handle:
        head = handle.read(9)
    if len(head) < 9:
        return False
    return head[8:9] == b"{" and int.from_bytes(head[:8], "little") < path.stat().st_size


def _read_safetensors(path: Path) -> dict[str, Any]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from photo_organizer.models.torch_compat import import_torch

    import_torch()
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelError(
            f"{path} cannot be read as a safetensors weights file ({error}). "
            "It may be incomplete (an interrupted download) or damaged; get it again."
        ) from None


def _read_torch_file(path: Path) -> Any:
    import pickle
    import zipfile

    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()
    if zipfile.is_zipfile(path) and _is_torchscript(path):
        raise ModelError(
            f"{path} is a TorchScript archive (like OpenAI's original CLIP .pt files). For safety only "
            "plain weights files are read: use the open_clip .bin or .safetensors file instead."
        )
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError as error:
        if "Unsupported global" in str(error):
            raise ModelError(
                f"{path} holds Python objects besides the weights; for safety only plain weights are read. "
                "Save just the state_dict (or use the .safetensors file)."
            ) from None
        raise _unreadable(path, "the content is not a PyTorch checkpoint") from None
    except EOFError:
        raise _unreadable(path, "the file ends too early") from None
    except (RuntimeError, OSError, ValueError) as error:
        raise _unreadable(path, error) from None


def _is_torchscript(path: Path) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("constants.pkl") or "/code/" in name for name in archive.namelist())


def _unreadable(path: Path, error: BaseException | str) -> ModelError:
    text = str(error).strip()
    reason = text.splitlines()[0].split(". ")[0].rstrip(".") if text else type(error).__name__
    return ModelError(
        f"{path} cannot be read as a PyTorch weights file ({reason}). "
        "It may be incomplete (an interrupted download), damaged, or not a weights file."
    )


def _unwrap(checkpoint: Any, path: Path) -> dict[str, Any]:
    """The state dict inside a training checkpoint: ``state_dict``/``model`` entries, and the
    ``module.`` prefix DataParallel adds."""
    from photo_organizer.models.torch_compat import import_torch

    torch = import_torch()
    state = checkpoint
    for key in ("state_dict_ema", "model_ema", "state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)} if isinstance(state, dict) else {}
    if not tensors:
        raise ModelError(f"{path} contains no weights (no tensors found).")
    if all(name.startswith("module.") for name in tensors):
        tensors = {name[len("module.") :]: value for name, value in tensors.items()}
    return tensors


# ---- checking a state dict against the architecture ------------------------------------------


def role_module(spec: ModelSpec) -> Any:
    """clip.py or dino.py (each imports torch, so only on demand)."""
    if spec.role == CLIP:
        from photo_organizer.models import clip

        return clip
    from photo_organizer.models import dino

    return dino


def fit_to_architecture(spec: ModelSpec, state: dict[str, Any], origin: str) -> dict[str, Any]:
    """``state`` converted to ``spec``'s architecture; refused when it does not fit."""
    module = role_module(spec)
    shape_model = module.build_model(spec, device="meta")  # shapes only: no memory, no init
    try:
        adapted = module.adapt_state_dict(shape_model, state)
    except Exception as error:  # the libraries' converters fail in many ways on foreign files
        raise WeightsMismatchError(
            f"{origin} does not fit {spec.name}: converting it failed ({error}). "
            f"Is it the weights of another model? See `photo-organizer models list`."
        ) from None
    problems = describe_mismatch(shape_model.state_dict(), adapted)
    if problems:
        other = _other_model_it_fits(spec, state)
        if other is not None:  # the model's name says more to a user than tensor names
            raise WeightsMismatchError(
                f"{origin} does not fit {spec.name} ({spec.weights_label or spec.hub_name}): this file holds "
                f"{other.weights_label}; import it with `photo-organizer models import {other.name} FILE`."
            )
        raise WeightsMismatchError(
            f"{origin} does not fit {spec.name} ({spec.hub_name}): {problems}. "
            "Is it the weights of another model? See `photo-organizer models list`."
        )
    return adapted


def _other_model_it_fits(spec: ModelSpec, state: dict[str, Any]) -> ModelSpec | None:
    """The known model of the same role a refused file does fit, to name it in the refusal."""
    module = role_module(spec)
    for other in specs_for_role(spec.role):
        if other.name == spec.name:
            continue
        shape_model = module.build_model(other, device="meta")
        try:
            if not describe_mismatch(shape_model.state_dict(), module.adapt_state_dict(shape_model, state)):
                return other
        except Exception:  # a converter failing means: not this one
            continue
    return None


def describe_mismatch(expected: dict[str, Any], given: dict[str, Any]) -> str:
    """Missing, unexpected and wrongly shaped tensors, in words; empty when they fit."""
    missing = [name for name in expected if name not in given]
    unexpected = [name for name in given if name not in expected]
    wrong_shape = [
        f"{name} is {tuple(given[name].shape)} in the file but {tuple(expected[name].shape)} in the model"
        for name in expected
        if name in given and tuple(given[name].shape) != tuple(expected[name].shape)
    ]
    parts = []
    for label, names in (("wrong shape", wrong_shape), ("missing", missing), ("unexpected", unexpected)):
        if names:
            shown = "; ".join(names[:_MAX_LISTED]) + ("; ..." if len(names) > _MAX_LISTED else "")
            parts.append(f"{len(names)} tensors {label} ({shown})")
    return ", ".join(parts)


# ---- installing --------------------------------------------------------------------------------


def import_weights(home: DataHome, name: str, file: Path | str, digests: DigestCache | None = None) -> InstalledWeights:
    """Install a weights file the user has, for the model ``name`` (converted and checked)."""
    spec = get_spec(name)
    path = Path(file).expanduser().resolve()
    state = fit_to_architecture(spec, read_checkpoint(path), origin=str(path))
    return _install(home, spec, state, source="import", origin=str(path), digests=digests)


def download_weights(home: DataHome, name: str, digests: DigestCache | None = None) -> InstalledWeights:
    """Fetch the pretrained weights of ``name`` through open_clip's or timm's hub download.

    Fails at once with OfflineError when the hub cannot be reached.
    """
    spec = get_spec(name)
    host = _hub_host()
    _check_online(spec, host)
    downloads = home.cache_dir / "downloads" / spec.name
    try:
        state = role_module(spec).download_checkpoint(spec, downloads)
    except (ModelError, KeyboardInterrupt):
        raise
    except Exception as error:  # hub clients raise their own HTTP and connection errors
        raise OfflineError(
            f"Downloading {spec.name} from {host} failed ({error}). "
            f"Try again, or import the file offline: {missing_weights_message(spec)}"
        ) from None
    try:
        state = fit_to_architecture(spec, state, origin=f"the download of {spec.hub_name}")
        return _install(home, spec, state, source="download", origin=f"{host}: {spec.hub_name}", digests=digests)
    finally:
        shutil.rmtree(downloads, ignore_errors=True)  # the hub cache is a second copy


def _hub_host() -> str:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    return urlparse(endpoint).hostname or "huggingface.co"


def _check_online(spec: ModelSpec, host: str) -> None:
    offline_hint = (
        f"On a machine with internet access get {spec.file_hint}, copy it here and run "
        f"`photo-organizer models import {spec.name} FILE`."
    )
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        raise OfflineError(f"Downloads are switched off (HF_HUB_OFFLINE is set). {offline_hint}")
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return  # behind a proxy a direct probe fails; the hub client's own error is reported instead
    try:
        socket.create_connection((host, 443), timeout=DOWNLOAD_TIMEOUT_S).close()
    except OSError as error:
        raise OfflineError(f"Cannot reach {host} to download {spec.name} ({error}). {offline_hint}") from None


def _install(
    home: DataHome, spec: ModelSpec, state: dict[str, Any], source: str, origin: str, digests: DigestCache | None
) -> InstalledWeights:
    """Write the converted weights and their manifest so that either both change or neither:
    the weights go to a new content-addressed file, and renaming the manifest that names it
    is the one step that switches installs. Leftovers of an interrupted install go first."""
    from safetensors.torch import save_file

    folder = home.weights_dir / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    _remove_unreferenced(folder, keep=_manifest_file_name(folder))
    partial = folder / (WEIGHTS_FILE + PARTIAL)
    with private_umask():  # the user's weights are theirs alone, like the rest of the data home
        save_file(_unshared(state), str(partial), metadata={"name": spec.name, "architecture": spec.architecture})
    _fsync(partial)
    digest = file_sha256(partial)
    file_name = f"model-{digest[:16]}.safetensors"
    os.replace(partial, folder / file_name)
    manifest = {
        "name": spec.name,
        "role": spec.role,
        "architecture": spec.architecture,
        "pretrained_tag": spec.pretrained_tag,
        "file": file_name,
        "sha256": digest,
        "source": source,
        "origin": origin,
        "installed_at": time.time(),
        "size_bytes": (folder / file_name).stat().st_size,
    }
    with private_umask():
        _write_manifest(folder, manifest)
    _remove_unreferenced(folder, keep=file_name)
    if digests is not None:
        digests.remember(folder / file_name, digest)
    installed = _read_manifest(folder, spec)
    assert installed is not None
    return installed


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """The switch from the old install to the new one: one atomic rename, made durable."""
    temporary = folder / (MANIFEST_FILE + PARTIAL)
    temporary.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _fsync(temporary)
    os.replace(temporary, folder / MANIFEST_FILE)
    _fsync(folder)


def _manifest_file_name(folder: Path) -> str | None:
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        return Path(str(manifest.get("file", WEIGHTS_FILE))).name
    except (OSError, ValueError, AttributeError):
        return None


def _remove_unreferenced(folder: Path, keep: str | None) -> None:
    """Partial files and weights files no manifest names (an interrupted or replaced install)."""
    for path in folder.iterdir():
        leftover = path.name.endswith(PARTIAL) or (path.name.startswith("model") and path.suffix == ".safetensors")
        if leftover and path.name != keep and path.is_file():
            path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk before the rename that publishes it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return  # folders cannot be opened on Windows; the rename is still atomic there
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _unshared(state: dict[str, Any]) -> dict[str, Any]:
    """Contiguous tensors, each with its own storage (safetensors refuses shared memory, which
    checkpoint converters leave behind when they slice one tensor into two)."""
    seen: set[int] = set()
    result = {}
    for name, tensor in state.items():
        tensor = tensor.contiguous()
        pointer = tensor.untyped_storage().data_ptr()
        if pointer in seen:
            tensor = tensor.clone()
        seen.add(tensor.untyped_storage().data_ptr())
        result[name] = tensor
    return result


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()

