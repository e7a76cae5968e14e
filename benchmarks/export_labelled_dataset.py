"""Export a torchvision image dataset's split to DIR/<class>/<n>.png for `eval clustering`.

    python benchmarks/export_labelled_dataset.py cifar10 ~/data/cifar10-test
    python benchmarks/export_labelled_dataset.py stl10 ~/data/stl10-test --root ~/data/torchvision

The ITAE paper evaluates on the test splits (CIFAR-10 and CIFAR-100 test: 10,000 images;
STL-10 test: 8,000). torchvision downloads the archive into ``--root`` unless it is already
there (on an offline machine, copy the archive there first). Images are written losslessly
(PNG) at their native size; the DINOv2 preprocessing resizes them to 224 px.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from photo_organizer.models.torch_compat import import_torch  # noqa: E402

DATASETS = ("cifar10", "cifar100", "stl10")


def load_test_split(name: str, root: Path) -> tuple[Iterable, list[str]]:
    import_torch()
    from torchvision import datasets

    if name == "cifar10":
        dataset = datasets.CIFAR10(root, train=False, download=True)
    elif name == "cifar100":
        dataset = datasets.CIFAR100(root, train=False, download=True)
    else:
        dataset = datasets.STL10(root, split="test", download=True)
    return dataset, list(dataset.classes)


def export(samples: Iterable, class_names: list[str], out: Path) -> dict[str, int]:
    """Write each (PIL image, label) to out/<class>/<index>.png; returns images per class."""
    counts = {name: 0 for name in class_names}
    for index, (image, label) in enumerate(samples):
        name = class_names[label]
        folder = out / name.replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"{index:05d}.png")
        counts[name] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("out", type=Path, help="folder to write (one sub-folder per class)")
    parser.add_argument("--root", type=Path, default=Path("~/.cache/torchvision-datasets").expanduser())
    args = parser.parse_args()
    samples, class_names = load_test_split(args.dataset, args.root)
    counts = export(samples, class_names, args.out)
    print(f"{sum(counts.values())} images in {len(counts)} classes written to {args.out}")


if __name__ == "__main__":
    main()
