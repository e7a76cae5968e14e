"""Image bombs: huge one-colour images, a few bytes to a few MB on disk, written without ever
holding their pixels in memory (so making them costs the test nothing)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def webp_bomb(folder: Path, width: int = 16383, height: int = 15000) -> Path:
    """A lossless WebP of one grey colour: every prefix code has one symbol, so the pixels take
    no bits at all and the file is 32 bytes whatever its size."""
    bits = _BitWriter()
    bits.write(0x2F, 8)  # VP8L signature
    bits.write(width - 1, 14)
    bits.write(height - 1, 14)
    bits.write(0, 1)  # no alpha
    bits.write(0, 3)  # version 0
    bits.write(0, 1)  # no transform
    bits.write(0, 1)  # no colour cache
    bits.write(0, 1)  # no meta prefix codes
    for symbol in (0x80, 0x80, 0x80, 0xFF):  # green, red, blue, alpha: one symbol each
        bits.write(1, 1)  # simple code
        bits.write(0, 1)  # one symbol
        bits.write(1, 1)  # of 8 bits
        bits.write(symbol, 8)
    bits.write(0b0001, 4)  # distance code: simple, one symbol, 1 bit wide, symbol 0
    payload = bits.getvalue()
    if len(payload) % 2:
        payload += b"\x00"
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    path = folder / "bomb.webp"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk)
    return path


def png_bomb(folder: Path, width: int = 12000, height: int = 12000) -> Path:
    """An RGB PNG of one colour, compressed row by row."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * (width * 3)  # filter byte, then the pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path = folder / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b""))
    return path


def jpeg_bomb(folder: Path, width: int = 16383, height: int = 15000) -> Path:
    """A baseline colour JPEG (4:4:4) of uniform grey: each 8x8 block is a zero DC difference
    and an end-of-block, one bit each, so 245 megapixels take under 3 MB."""
    quantisation = b"\xff\xdb" + struct.pack(">HB", 67, 0) + bytes([1] * 64)
    components = b"".join(bytes([index, 0x11, 0]) for index in (1, 2, 3))
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 8 + len(components), 8, height, width, 3) + components
    one_code = bytes([1] + [0] * 15) + b"\x00"  # a single 1-bit code for symbol 0
    huffman = b"\xff\xc4" + struct.pack(">H", 2 + 2 * len(one_code) + 2) + b"\x00" + one_code + b"\x10" + one_code
    scan = b"\xff\xda" + struct.pack(">HB", 12, 3) + bytes([1, 0x00, 2, 0x00, 3, 0x00]) + bytes([0, 63, 0])
    blocks = -(-width // 8) * -(-height // 8) * 3
    entropy = bytes(-(-2 * blocks // 8))  # two zero bits a block (DC 0, EOB); padding is zero too
    path = folder / "bomb.jpg"
    path.write_bytes(b"\xff\xd8" + quantisation + frame + huffman + scan + entropy + b"\xff\xd9")
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


class _BitWriter:
    """Least significant bit first, as VP8L reads."""

    def __init__(self) -> None:
        self._value = 0
        self._length = 0

    def write(self, value: int, width: int) -> None:
        self._value |= value << self._length
        self._length += width

    def getvalue(self) -> bytes:
        return self._value.to_bytes(-(-self._length // 8), "little")
