"""Generated bursts for the stacking tests: a five-shot burst (one sharp, four blurred), an
unrelated shot in the same second, and a RAW + JPEG pair (the RAW is a stand-in file)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import ImageFilter

from photo_organizer.sample_photos import render, save_jpeg

CAMERA = "Canon EOS-R6"
START = datetime(2024, 6, 1, 15, 30, 10)
SHARP_INDEX = 2


@dataclass
class BurstFolder:
    burst: list[Path]  # in shooting order; burst[SHARP_INDEX] is the sharp one
    unrelated: Path
    pair: list[Path]  # JPEG, RAW


def make_burst_folder(folder: Path) -> BurstFolder:
    picture = render("beach", (480, 360), seed=7)
    burst = []
    for n in range(5):
        shot = picture if n == SHARP_INDEX else picture.filter(ImageFilter.GaussianBlur(2 + n % 2))
        taken = START + timedelta(milliseconds=500 * n)
        burst.append(save_jpeg(shot, folder / f"IMG_{n + 1:04d}.JPG", taken_at=taken, camera=CAMERA))
    unrelated = save_jpeg(
        render("forest", (480, 360), seed=3), folder / "IMG_0006.JPG", taken_at=START + timedelta(milliseconds=1200),
        camera=CAMERA,
    )
    jpeg = save_jpeg(render("snow", (480, 360), seed=5), folder / "IMG_0100.JPG", taken_at=START + timedelta(minutes=5), camera=CAMERA)
    raw = folder / "IMG_0100.CR2"
    raw.write_bytes(b"II*\x00 not a real raw file" * 50)
    return BurstFolder(burst, unrelated, [jpeg, raw])
