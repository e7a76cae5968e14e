"""Import torch and torchvision safely, whatever build pair is installed.

PyPI's torchvision is a CUDA build; beside a CPU-only torch its C extension cannot load and
``import torchvision`` dies with "operator torchvision::nms does not exist". Declaring the two
op schemas it registers fakes at import time lets it import; only torchvision's C++ ops (which
this app never uses) stay unavailable. Call ``import_torch()`` before importing open_clip/timm.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

_prepared = False


def import_torch() -> ModuleType:
    global _prepared
    import torch

    if not _prepared:
        _declare_torchvision_ops_if_missing(torch)
        _prepared = True
    return torch


def _torchvision_extension_loads() -> bool:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return True
    import glob
    import os

    import torch

    for location in spec.submodule_search_locations:
        for library in glob.glob(os.path.join(location, "_C*.so")) + glob.glob(os.path.join(location, "_C*.pyd")):
            try:
                torch.ops.load_library(library)
                return True
            except (OSError, RuntimeError):
                return False
    return False


def _declare_torchvision_ops_if_missing(torch: ModuleType) -> None:
    if _torchvision_extension_loads():
        return
    library = torch.library.Library("torchvision", "FRAGMENT")  # noqa: F841 - kept alive below
    for schema in (
        "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
        "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    ):
        try:
            library.define(schema)
        except RuntimeError:
            pass  # already declared
    _KEEP_ALIVE.append(library)


_KEEP_ALIVE: list[object] = []
