"""Where and in which precision models run, and the one way features leave a model.

Device: CUDA when present, then Apple MPS, else CPU with every core. fp16 on a GPU; fp32 on
CPU (bf16 on CPU is about 10x slower here). The entry point may ask for one device (cpu, cuda,
mps: ``ModelOptions.device``), for benchmarks and debugging.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from photo_organizer.errors import ModelError
from photo_organizer.models.torch_compat import import_torch


def choose_device(wanted: str = "") -> tuple[Any, Any]:
    """(torch.device, dtype) for inference on this machine; ``wanted`` "" picks the best."""
    torch = import_torch()
    if wanted not in ("", "cpu", "cuda", "mps"):
        raise ModelError(f"The model device must be cpu, cuda or mps, not {wanted!r}.")
    if wanted in ("", "cuda") and torch.cuda.is_available():
        return torch.device("cuda"), torch.float16
    mps = getattr(torch.backends, "mps", None)
    if wanted in ("", "mps") and mps is not None and mps.is_available():
        return torch.device("mps"), torch.float16
    if wanted not in ("", "cpu"):
        raise ModelError(f"The {wanted} device was asked for, but this machine has no such device.")
    torch.set_num_threads(os.cpu_count() or 1)
    return torch.device("cpu"), torch.float32


MALLOC_ARENAS = 2  # glibc's heaps for all threads together (its default: 8 per core)


def limit_malloc_arenas() -> None:
    """Let every thread share glibc's first heaps. By default each decode thread gets a heap of
    its own that keeps what was freed in it: indexing 300 photos (DINOv2 pass) peaked at 1268
    and 1328 MiB that way, at 1223 and 1265 MiB with two heaps (two runs each, not faster or
    slower). Heaps made before the call stay."""
    import ctypes
    import ctypes.util

    library = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(library), "mallopt", None) if library else None
    if mallopt is not None:  # glibc only (it replaces a MALLOC_ARENA_MAX given at start)
        mallopt(M_ARENA_MAX, MALLOC_ARENAS)


M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def give_memory_back() -> None:
    """Collect the cycles a freed model leaves and return the freed heap pages to the system:
    glibc keeps them in its arenas (the process RSS would not drop) until ``malloc_trim``."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    library = ctypes.util.find_library("c")
    if library is None:
        return
    trim = getattr(ctypes.CDLL(library), "malloc_trim", None)
    if trim is not None:  # glibc only; other C libraries return memory by themselves
        trim(0)


def unit_rows(features: Any) -> np.ndarray:
    """A (n, dim) torch tensor to float32 numpy rows of unit L2 norm (normalised in float32,
    after the forward, so fp16 outputs still have unit norm)."""
    features = features.float()
    features = features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return features.cpu().numpy()


class TorchImageEncoder:
    """What the CLIP and DINOv2 encoders share: preprocessing in worker threads, batched
    inference on the chosen device and precision, unit-norm float32 features out."""

    role = ""

    def __init__(self, spec: Any, model: Any, model_key: str, device: Any, dtype: Any, transform: Any) -> None:
        self.spec = spec
        self.model = model
        self.model_key = model_key
        self.device = device
        self.dtype = dtype
        self.dim = spec.dim
        self.input_size = spec.input_size
        self._transform = transform

    def preprocess(self, image: Any) -> Any:
        """One RGB PIL image to a float32 CHW tensor (thread-safe)."""
        return self._transform(image)

    def batch(self, inputs: list[Any]) -> Any:
        """Preprocessed photos to one model input."""
        return import_torch().stack(inputs)

    def encode_images(self, batch: Any) -> np.ndarray:
        torch = import_torch()
        with torch.inference_mode():
            features = self.image_features(batch.to(self.device, self.dtype))
        return unit_rows(features)

    def image_features(self, batch: Any) -> Any:
        raise NotImplementedError
