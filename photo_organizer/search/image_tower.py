"""The CLIP image tower on ONNX Runtime: search by an image file without importing torch.

Importing torch with open_clip and building the model takes 5 s or more on a small machine;
a search by a photo that is not in the library needs the image tower all the same. So, once
per CLIP model (after the CLIP pass of indexing, beside the text tower), the image tower is
exported to ONNX with its preprocessing written down (size, resize mode, interpolation, mean,
std), and ``OnnxImageEncoder`` replays that preprocessing with Pillow and numpy.

The export is kept only when ONNX Runtime on our preprocessing reproduces the torch model
on its own preprocessing (a few probe images of odd sizes), like the text tower's.

This module imports torch inside its export functions only.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photo_organizer.errors import ModelError
from photo_organizer.models.torch_compat import import_torch
from photo_organizer.search.text_tower import (
    cpu_float_copy,
    export_onnx,
    install_export,
    recent_export_failure,
)

MODEL_FILE = "image_tower.onnx"
WEIGHTS_FILE = "image_tower.weights"
META_FILE = "image_meta.json"
FAILED_FILE = "image_export_failed.json"
EXPORT_TOLERANCE = 1e-4  # max |difference| of unit vectors
_INTERPOLATIONS = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}
_RESIZE_MODES = ("shortest", "squash")


def preprocess_pixels(image: Image.Image, meta: dict[str, Any]) -> np.ndarray:
    """open_clip's eval transform for a PIL image (CHW float32), without torch.

    torchvision's ``Resize`` on a PIL image is Pillow's resize (short side to ``size``, the
    long side truncated), ``CenterCrop`` rounds its offsets, then scale to [0, 1] and normalise.
    """
    size = int(meta["input_size"])
    resample = _INTERPOLATIONS[meta["interpolation"]]
    image = image.convert("RGB")
    if meta["resize_mode"] == "squash":
        image = image.resize((size, size), resample)
    else:
        width, height = image.size
        if width <= height:
            new_size = (size, int(size * height / width))
        else:
            new_size = (int(size * width / height), size)
        if new_size != image.size:
            image = image.resize(new_size, resample)
        left = int(round((image.width - size) / 2.0))
        top = int(round((image.height - size) / 2.0))
        image = image.crop((left, top, left + size, top + size))
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    mean = np.asarray(meta["mean"], dtype=np.float32)
    std = np.asarray(meta["std"], dtype=np.float32)
    return np.ascontiguousarray(((pixels - mean) / std).transpose(2, 0, 1))


class OnnxImageEncoder:
    """The exported CLIP image tower: PIL image in, unit float32 vector out; no torch.

    It also serves the CLIP pass of indexing on a CPU (see ``onnx_pass_encoder``): the same
    ``preprocess`` (in the decode threads) / ``batch`` / ``encode_images`` steps as the torch
    encoders, at about twice their speed on two cores."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime

        self.meta: dict[str, Any] = json.loads((folder / META_FILE).read_text())
        self.model_key: str = self.meta["model_key"]
        self.dim: int = int(self.meta["dim"])
        self.input_size: int = int(self.meta["input_size"])
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Threads that spin-wait between operators take the cores the decode threads need in a
        # pass; not spinning costs the forward nothing measurable (48.0 photos/s against 48.2).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])

    @staticmethod
    def is_installed(folder: Path) -> bool:
        return all((folder / name).exists() for name in (MODEL_FILE, WEIGHTS_FILE, META_FILE))

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """One PIL image to the tower's CHW float32 input (thread-safe)."""
        return preprocess_pixels(image, self.meta)

    @staticmethod
    def batch(inputs: list[np.ndarray]) -> np.ndarray:
        return np.stack(inputs)

    def encode_images(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run(None, {"pixels": batch})[0], dtype=np.float32)

    def encode_pil(self, images: list[Image.Image]) -> np.ndarray:
        return self.encode_images(self.batch([self.preprocess(image) for image in images]))


def onnx_pass_encoder(folder: Path, model_key: str, device: str) -> OnnxImageEncoder | None:
    """The exported image tower of ``model_key`` for the CLIP pass of indexing, or None: not
    exported (or damaged), or the models run on a GPU (``device`` is the models' device
    option, "" for the best one), where torch is the faster way."""
    if device not in ("", "cpu") or not OnnxImageEncoder.is_installed(folder):
        return None
    if device == "" and gpu_present():
        return None
    try:
        encoder = OnnxImageEncoder(folder)
    except Exception:  # noqa: BLE001 - a damaged export: the torch pass computes the same vectors
        return None
    return encoder if encoder.model_key == model_key else None


def gpu_present() -> bool:
    """Whether torch would pick a GPU, asked without importing torch when it is not loaded yet:
    an NVIDIA device node, or an Apple silicon Mac (MPS)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        mps = getattr(torch.backends, "mps", None)
        return bool(torch.cuda.is_available() or (mps is not None and mps.is_available()))
    return Path("/dev/nvidiactl").exists() or (sys.platform == "darwin" and platform.machine() == "arm64")


def image_export_pending(folder: Path) -> bool:
    """Neither exported nor failed recently: read from files, no model needed."""
    return not OnnxImageEncoder.is_installed(folder) and recent_export_failure(folder, FAILED_FILE) is None


def export_image_tower(
    load_clip: Callable[[], Any], folder: Path, release: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """Export, verify and install the ONNX image tower of ``load_clip()`` (the models package's
    ClipEncoder) in ``folder``. On failure records why (retried later, see
    ``recent_export_failure``) and raises ModelError.

    Nothing here holds the torch model once it is exported and its reference vectors are
    computed: ``release`` then lets a caller done with it free it before ONNX Runtime loads
    its own copy of the weights to verify them (the indexing pipeline's memory peak)."""
    files = (WEIGHTS_FILE, MODEL_FILE, META_FILE)

    def export_and_verify(staging: Path) -> dict[str, Any]:
        meta, reference = _export(load_clip(), staging)
        release()
        difference = float(np.abs(OnnxImageEncoder(staging).encode_pil(probe_images()) - reference).max())
        if not difference <= EXPORT_TOLERANCE:
            raise ModelError(f"The ONNX image tower differs from torch by {difference:.2e} (> {EXPORT_TOLERANCE}).")
        meta["max_difference"] = difference
        (staging / META_FILE).write_text(json.dumps(meta, indent=2))
        return meta

    return install_export(folder, "image", files, FAILED_FILE, export_and_verify)


def _preprocess_meta(clip_encoder: Any) -> dict[str, Any]:
    from photo_organizer.models.clip import preprocess_config

    config = preprocess_config(clip_encoder.spec, clip_encoder.model)
    interpolation = config.get("interpolation") or "bicubic"
    resize_mode = config.get("resize_mode") or "shortest"
    if interpolation not in _INTERPOLATIONS or resize_mode not in _RESIZE_MODES:
        raise ModelError(f"The image preprocessing ({resize_mode}, {interpolation}) has no torch-free replay here.")
    return {
        "input_size": int(clip_encoder.input_size),
        "interpolation": interpolation,
        "resize_mode": resize_mode,
        "mean": [float(value) for value in config["mean"]],
        "std": [float(value) for value in config["std"]],
    }


def _export(clip_encoder: Any, staging: Path) -> tuple[dict[str, Any], np.ndarray]:
    """Write the tower and its metadata into ``staging``; returns (metadata, the torch vectors
    of ``probe_images`` to verify the export against)."""
    torch = import_torch()
    meta = {
        "model_key": clip_encoder.model_key,
        "dim": int(clip_encoder.dim),
        **_preprocess_meta(clip_encoder),
        "torch": torch.__version__,
    }
    images = probe_images()
    reference = clip_encoder.encode_images(torch.stack([clip_encoder.preprocess(image) for image in images]))
    cpu_model = cpu_float_copy(clip_encoder.model)

    class ImageTower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.visual = cpu_model.visual

        def forward(self, pixels: Any) -> Any:
            return torch.nn.functional.normalize(self.visual(pixels).float(), dim=-1)

    size = meta["input_size"]
    fast_path = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # the fused attention kernel has no ONNX form
    try:
        export_onnx(
            ImageTower().eval(),
            torch.zeros(1, 3, size, size),
            staging / MODEL_FILE,
            WEIGHTS_FILE,
            input_names=["pixels"],
            output_names=["embedding"],
            dynamic_axes={"pixels": {0: "batch"}, "embedding": {0: "batch"}},
        )
    finally:
        torch.backends.mha.set_fastpath_enabled(fast_path)
    (staging / META_FILE).write_text(json.dumps(meta, indent=2))
    return meta, reference


def probe_images() -> list[Image.Image]:
    """Seeded noise of odd shapes: portrait, landscape, square, smaller than the input."""
    rng = np.random.default_rng(0)
    shapes = [(301, 517), (640, 427), (224, 224), (97, 150)]
    return [Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)) for width, height in shapes]


def max_difference_to_torch(clip_encoder: Any, onnx_encoder: OnnxImageEncoder, images: list[Image.Image]) -> float:
    """Largest |ONNX Runtime on our preprocessing - the torch encoder on its own|."""
    torch = import_torch()
    reference = clip_encoder.encode_images(torch.stack([clip_encoder.preprocess(image) for image in images]))
    return float(np.abs(onnx_encoder.encode_pil(images) - reference).max())
