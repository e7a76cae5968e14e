"""Generated photo folders for the self-test, the benchmarks and the tests.

Each class is a visually distinct kind of picture (colour, shape, texture) so that even a
plain colour histogram separates them; with random-weight models the features mean nothing,
but the data paths are exercised end to end. Nothing here is used on a user's library.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

CLASSES: dict[str, tuple[tuple[int, int, int], str]] = {
    "beach": ((230, 200, 140), "horizon"),
    "forest": ((40, 110, 50), "stripes"),
    "night": ((20, 20, 60), "dots"),
    "snow": ((235, 240, 250), "circles"),
    "sunset": ((240, 120, 40), "horizon"),
    "documents": ((250, 250, 245), "lines"),
}


def render(kind: str, size: tuple[int, int], seed: int) -> Image.Image:
    """A synthetic photo of one class, varied by ``seed``."""
    rng = np.random.default_rng(seed)
    base, pattern = CLASSES[kind]
    width, height = size
    colour = np.clip(np.array(base) + rng.integers(-25, 26, 3), 0, 255)
    noise = rng.normal(0, 12, (height, width, 3))
    pixels = np.clip(colour + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    accent = tuple(int(c) for c in np.clip(255 - colour + rng.integers(-40, 41, 3), 0, 255))
    _draw_pattern(draw, pattern, width, height, accent, rng)
    return image


def _draw_pattern(draw: ImageDraw.ImageDraw, pattern: str, w: int, h: int, accent: tuple, rng) -> None:
    if pattern == "horizon":
        y = int(h * rng.uniform(0.3, 0.6))
        draw.rectangle([0, y, w, h], fill=accent)
    elif pattern == "stripes":
        step = max(4, w // int(rng.integers(6, 12)))
        for x in range(0, w, step * 2):
            draw.rectangle([x, 0, x + step, h], fill=accent)
    elif pattern == "dots":
        for _ in range(40):
            x, y, r = rng.integers(0, w), rng.integers(0, h), max(1, w // 80)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=accent)
    elif pattern == "circles":
        for _ in range(5):
            x, y, r = rng.integers(0, w), rng.integers(0, h), int(rng.integers(w // 12, w // 5))
            draw.ellipse([x - r, y - r, x + r, y + r], outline=accent, width=max(2, w // 100))
    elif pattern == "lines":
        step = max(6, h // 25)
        for y in range(step, h - step, step):
            length = int(w * rng.uniform(0.5, 0.9))
            draw.line([w // 10, y, length, y], fill=(30, 30, 30), width=max(1, step // 4))


def exif_bytes(
    taken_at: datetime | str | None = None,
    orientation: int | None = None,
    camera: str | None = None,
    offset: str | None = None,
    subsec: str | None = None,
    gps: tuple[float, float] | None = None,
    gps_utc: datetime | None = None,
) -> bytes:
    """EXIF with a capture date (a datetime, or any text as a camera may write it), its UTC
    offset and sub-second, orientation, camera and a GPS position / GPS time stamp."""
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if camera:
        make, _, model = camera.partition(" ")
        exif[0x010F] = make
        exif[0x0110] = model or make
    if taken_at:
        text = taken_at if isinstance(taken_at, str) else taken_at.strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(0x8769)[0x9003] = text
        if isinstance(taken_at, datetime) and taken_at.microsecond and not subsec:
            subsec = f"{taken_at.microsecond // 1000:03d}"
    if offset:
        exif.get_ifd(0x8769)[0x9011] = offset
    if subsec:
        exif.get_ifd(0x8769)[0x9291] = subsec
    if gps or gps_utc:
        _write_gps(exif.get_ifd(0x8825), gps, gps_utc)
    return exif.tobytes()


def _write_gps(ifd: dict[int, Any], position: tuple[float, float] | None, utc: datetime | None) -> None:
    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees, minutes = int(value), int(abs(value) * 60) % 60
        return float(degrees), float(minutes), round((value * 3600) % 60, 4)

    if position:
        lat, lon = position
        ifd[1], ifd[2] = ("N" if lat >= 0 else "S"), dms(lat)
        ifd[3], ifd[4] = ("E" if lon >= 0 else "W"), dms(lon)
    if utc:
        ifd[7] = (float(utc.hour), float(utc.minute), float(utc.second))
        ifd[29] = utc.strftime("%Y:%m:%d")


def save_jpeg(image: Image.Image, path: Path, taken_at: datetime | None = None, quality: int = 90, **exif) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=quality, exif=exif_bytes(taken_at, **exif))
    return path


def make_labelled_folder(
    folder: Path,
    per_class: int = 4,
    size: tuple[int, int] = (320, 240),
    classes: list[str] | None = None,
    seed: int = 0,
) -> list[Path]:
    """``folder/<class>/<class>_<n>.jpg`` with EXIF dates spread over a year."""
    paths = []
    start = datetime(2024, 1, 1, 12, 0, 0)
    for class_index, kind in enumerate(classes or list(CLASSES)):
        for n in range(per_class):
            image = render(kind, size, seed * 100_000 + class_index * 1000 + n)
            taken = start + timedelta(days=class_index * 30 + n)
            paths.append(save_jpeg(image, folder / kind / f"{kind}_{n:03d}.jpg", taken_at=taken))
    return paths
