"""How good one shot of a burst is: sharpness and exposure, from a mid-size decode (numpy only).

* sharpness: variance of the 4-neighbour Laplacian of the grayscale image scaled to
  ``ANALYSIS_SIDE`` pixels on its long side (a blurred or shaken shot has weak edges, so a
  low variance). Comparable between shots of one burst, not across unrelated photos;
* exposure: the share of clipped pixels, highlights (>= 250) and shadows (<= 5).

The best shot of a stack has the highest ``sharpness * (1 - clipped)**2``: among equally
sharp shots the better exposed wins, and a shot with a third of its pixels blown out loses
to a slightly softer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from photo_organizer.imaging import load_rgb

ANALYSIS_SIDE = 512
HIGHLIGHT_LEVEL = 250
SHADOW_LEVEL = 5


@dataclass(frozen=True)
class ShotQuality:
    sharpness: float  # variance of the Laplacian (grey levels squared)
    highlights: float  # share of pixels at or above HIGHLIGHT_LEVEL
    shadows: float  # share of pixels at or below SHADOW_LEVEL

    @property
    def clipped(self) -> float:
        return self.highlights + self.shadows

    @property
    def score(self) -> float:
        return self.sharpness * (1.0 - min(self.clipped, 1.0)) ** 2


def grayscale(image: Image.Image, side: int = ANALYSIS_SIDE) -> np.ndarray:
    """Luminance as float32, the long side scaled down to ``side`` (never up)."""
    image = image.copy()
    image.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(image.convert("L"), dtype=np.float32)


def laplacian_variance(gray: np.ndarray) -> float:
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return 0.0
    centre = gray[1:-1, 1:-1]
    laplacian = gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:] - 4.0 * centre
    return float(laplacian.var())


def measure_image(image: Image.Image) -> ShotQuality:
    gray = grayscale(image)
    return ShotQuality(
        sharpness=laplacian_variance(gray),
        highlights=float((gray >= HIGHLIGHT_LEVEL).mean()),
        shadows=float((gray <= SHADOW_LEVEL).mean()),
    )


def measure_file(path: Path | str) -> ShotQuality:
    """Raises ImageLoadError for a file that cannot be decoded."""
    return measure_image(load_rgb(path, min_side=ANALYSIS_SIDE // 2))


def best_of(qualities: dict[int, ShotQuality]) -> tuple[int, str] | None:
    """(photo id, why) of the best shot among the measured ones; None when none was measured."""
    if not qualities:
        return None
    best = max(qualities, key=lambda pid: (qualities[pid].score, -pid))
    chosen = qualities[best]
    others = [q.sharpness for pid, q in qualities.items() if pid != best]
    if not others:
        return best, "the only shot that could be measured"
    return best, (
        f"best sharpness and exposure (Laplacian variance {chosen.sharpness:.0f}, others median {float(np.median(others)):.0f}), "
        f"{100 * chosen.clipped:.1f}% clipped"
    )
