"""Awkward files a real photo library contains, generated on the fly."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from photo_organizer.sample_photos import render, save_jpeg


def rotated_jpeg_with_date(folder: Path) -> Path:
    # Stored landscape 400x200 with orientation 6 (rotate 90 CW to display): displays 200x400.
    return save_jpeg(render("beach", (400, 200), 1), folder / "rotated.jpg",
                     taken_at=datetime(2023, 7, 14, 9, 30, 5), orientation=6, camera="Canon EOS R6")


def png_with_alpha(folder: Path) -> Path:
    image = Image.new("RGBA", (64, 48), (255, 0, 0, 0))  # fully transparent red
    image.putpixel((0, 0), (0, 0, 255, 255))
    path = folder / "alpha.png"
    image.save(path)
    return path


def cmyk_jpeg(folder: Path) -> Path:
    path = folder / "cmyk.jpg"
    render("forest", (120, 90), 2).convert("CMYK").save(path, "JPEG")
    return path


def png_16bit(folder: Path) -> Path:
    array = (np.linspace(0, 65535, 64 * 32).reshape(32, 64)).astype(np.uint16)
    path = folder / "deep.png"
    Image.fromarray(array).save(path)
    return path


def animated_gif(folder: Path) -> Path:
    frames = [Image.new("P", (40, 30), colour) for colour in (1, 2, 3)]
    path = folder / "anim.GIF"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def heic(folder: Path) -> Path:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    path = folder / "phone.heic"
    render("sunset", (160, 120), 3).save(path, format="HEIF")
    return path


def truncated_jpeg(folder: Path) -> Path:
    full = save_jpeg(render("snow", (640, 480), 4), folder / "tmp_full.jpg")
    data = full.read_bytes()
    full.unlink()
    path = folder / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    return path


def zero_byte(folder: Path) -> Path:
    path = folder / "empty.jpg"
    path.write_bytes(b"")
    return path


def text_named_jpg(folder: Path) -> Path:
    path = folder / "notes.jpg"
    path.write_text("this is not a photo\n")
    return path


def unicode_name(folder: Path) -> Path:
    return save_jpeg(render("night", (80, 60), 5), folder / "café 日本 📷.jpg")


def non_utf8_name(folder: Path) -> Path:
    raw = os.fsencode(str(folder)) + b"/caf\xe9-latin1.jpg"
    render("documents", (80, 60), 6).save(raw.decode("utf-8", "surrogateescape"), "JPEG")
    return Path(os.fsdecode(raw))


def bomb_png(folder: Path) -> Path:
    """A 30000x30000 (900 MP) PNG: tiny on disk, must be refused from its header."""
    import struct
    import zlib

    width = height = 30000
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * (width // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    path = folder / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def symlink_loop(folder: Path) -> Path:
    inner = folder / "loop"
    inner.mkdir()
    (inner / "back").symlink_to(folder, target_is_directory=True)
    return inner
