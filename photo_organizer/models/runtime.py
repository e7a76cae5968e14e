"""Where and in which precision models run, and the one way features leave a model.

Device: CUDA when present, then Apple MPS, else CPU with every core. fp16 on a GPU; fp32 on
CPU (bf16 on CPU is about 10x slower here). The entry point may ask for one device (cpu, cuda,
mps: ``ModelOptions.device``), for benchmarks and debugging.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
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
    slower). Heaps made before the call stay; it replaces a MALLOC_ARENA_MAX given at start."""
    _mallopt(M_ARENA_MAX, MALLOC_ARENAS)


@contextmanager
def large_blocks_returned() -> Iterator[None]:
    """Within: every block of 16 MB or more is a mapping of its own, handed back when freed.

    glibc serves blocks below its moving threshold (up to 32 MB) from its heaps, which keep
    what is freed: in the DINOv2 pass torch's activations left 175-450 MB of free heap held at
    the peak. Indexing 300 photos (DINOv2 at 8 photos a batch) peaked at 1097 MiB with this
    and at 1300 MiB without (1153 MiB at 16 a batch, in 77.7 s against 78.9 s with this).
    A 4 MB threshold peaked at 933 MiB but cost 11% more time in page faults. After it, the
    threshold stays at glibc's own largest."""
    _mallopt(M_MMAP_THRESHOLD, 16 * 2**20)
    try:
        yield
    finally:
        _mallopt(M_MMAP_THRESHOLD, 32 * 2**20)


def _mallopt(parameter: int, value: int) -> None:
    """glibc's ``mallopt``; nothing elsewhere (other C libraries manage their heaps themselves)."""
    mallopt = getattr(_c_library(), "mallopt", None)
    if mallopt is not None:
        mallopt(parameter, value)


@functools.cache
def _c_library() -> Any:
    """The C library, looked up once (``find_library`` searches the system's library cache)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


M_ARENA_MAX = -8  # mallopt's parameter numbers, from glibc's malloc.h
M_MMAP_THRESHOLD = -3


def give_memory_back() -> None:
    """Collect the cycles a freed model leaves and return the freed heap pages to the system:
    glibc keeps them in its arenas (the process RSS would not drop) until ``malloc_trim``."""
    import gc

    gc.collect()
    trim = getattr(_c_library(), "malloc_trim", None)
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
