"""Labelled image folders for the evaluation harnesses: DIR/<class name>/<images>.

Classes are the immediate sub-folders (sorted by name); images are found recursively inside
each, sorted by path, so a run is repeatable. Files that are not images are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photo_organizer.errors import DatasetError
from photo_organizer.imaging import is_supported


@dataclass(frozen=True)
class LabelledImages:
    root: Path
    class_names: list[str]
    paths: list[Path]
    labels: np.ndarray  # index into class_names, one per path

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, keep: np.ndarray) -> "LabelledImages":
        """The images at the positions ``keep`` (a boolean mask or indices)."""
        indices = np.arange(len(self.paths))[keep]
        return LabelledImages(self.root, self.class_names, [self.paths[i] for i in indices], self.labels[indices])


def read_labelled_folder(root: str | Path, limit_per_class: int | None = None, min_classes: int = 2) -> LabelledImages:
    """The images of ``root`` labelled by sub-folder; at most ``limit_per_class`` per class."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder.")
    class_names: list[str] = []
    paths: list[Path] = []
    labels: list[int] = []
    for folder in sorted(entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")):
        images = sorted(path for path in folder.rglob("*") if path.is_file() and is_supported(path))
        if limit_per_class is not None:
            images = images[:limit_per_class]
        if not images:
            continue
        labels += [len(class_names)] * len(images)
        class_names.append(folder.name)
        paths += images
    if len(class_names) < min_classes:
        raise DatasetError(
            f"{root} needs at least {min_classes} sub-folders with images, one per class "
            f"(found {len(class_names)})."
        )
    return LabelledImages(root, class_names, paths, np.asarray(labels, dtype=np.int64))
