"""Reading photos: every supported format to an upright RGB image, metadata, thumbnails.

Never writes to the photo. JPEGs are decoded in draft mode at the smallest DCT scale that
still covers the size asked for (2-5x faster on camera photos), HEIF from an embedded thumbnail
when one is large enough; other formats are decoded whole and reduced at once. A
decompression-bomb guard refuses images above ``MAX_PIXELS`` from their header, and a memory
guard refuses, before any pixel is decoded, an image whose decode would need more than
``DECODE_MEMORY_BUDGET``, a budget all decodes of the process share (see ``decode_cost``).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, UnidentifiedImageError

from photo_organizer.errors import ImageLoadError
from photo_organizer.timeline.capture import read_capture, valid_coordinates

MAX_PIXELS = 250_000_000  # a 250 MP panorama is fine; a 900 MP PNG is a bomb
# Pixel buffers all decodes of this process may hold at once. A 50 MP camera file decoded whole
# fits (an RGB TIFF is counted 500 MB, an RGBA PNG 400 MB, a HEIC 450 MB; a JPEG, or a HEIC with
# a thumbnail, far less), so indexing stays near 0.5 GB whatever a folder holds, on any number
# of threads. Beyond it: a WebP over about 33 MP, an RGB PNG over 134 MP (refused with a reason).
DECODE_MEMORY_BUDGET = 512 * 2**20
THUMBNAIL_SIDE = 256
THUMBNAIL_QUALITY = 85

PIL_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"})
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".orf", ".rw2", ".raf", ".pef", ".srw"})
SUPPORTED_EXTENSIONS = PIL_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS

# Our own guard replaces Pillow's (which only warns below 2x its limit).
Image.MAX_IMAGE_PIXELS = None
# A truncated JPEG must be an error with a reason, not a half-grey photo.
ImageFile.LOAD_TRUNCATED_IMAGES = False
# Pillow allocates pixels in blocks of 16 MB, which glibc serves from per-thread heaps that keep
# what is freed: eight decode threads held 1 GB where the budget let 0.5 GB be in use. Blocks
# above glibc's largest mmap threshold (32 MB) are mapped, and unmapped once freed.
if "PILLOW_BLOCK_SIZE" not in os.environ:
    Image.core.set_block_size(64 * 2**20)

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAG_ORIENTATION = 0x0112
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110


@dataclass(frozen=True)
class PhotoMetadata:
    width: int  # as displayed, after EXIF orientation
    height: int
    taken_at: str | None  # ISO 8601, camera local time
    orientation: int
    camera: str | None
    gps_lat: float | None
    gps_lon: float | None
    taken_offset: str | None = None  # "+02:00" when known (timeline.capture)
    taken_subsec_ms: int | None = None
    date_note: str | None = None  # why the photo's own date was refused, when it was


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:  # pragma: no cover - pillow-heif is a dependency
            pass
        _heif_registered = True


def is_supported(path: Path | str) -> bool:
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def require_regular_file(path: Path | str) -> None:
    """Refuse what is not a plain file (a named pipe would block the reader for ever; a device
    never ends). Checked on a non-blocking descriptor, so the check itself cannot hang."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ImageLoadError(f"cannot open: {error.strerror or error}") from None
    try:
        mode = os.fstat(descriptor).st_mode
    finally:
        os.close(descriptor)
    if not stat.S_ISREG(mode):
        raise ImageLoadError(f"not a regular file ({_file_kind(mode)}), so it is not read")


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a plain file"


def open_image(path: Path) -> Image.Image:
    """Open lazily (header only) and check the pixel count. Caller decodes."""
    require_regular_file(path)
    suffix = path.suffix.lower()
    if suffix in HEIF_EXTENSIONS:
        _register_heif()
    try:
        if suffix in RAW_EXTENSIONS:
            image = _open_raw_preview(path)
        else:
            _refuse_webp_beyond_budget(path)  # its decoder allocates the canvas when opened
            image = Image.open(path)
    except FileNotFoundError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(f"not an image Pillow can read ({_describe_content(path)})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageLoadError(f"cannot open: {error}") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ImageLoadError(
            f"too large to decode safely: {width}x{height} = {width * height / 1e6:.0f} megapixels "
            f"(limit {MAX_PIXELS / 1e6:.0f})"
        )
    return image


def _describe_content(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "unreadable"
    if size == 0:
        return "empty file"
    return f"{size} bytes of unknown content"


def _open_raw_preview(path: Path) -> Image.Image:
    try:
        import rawpy
    except ImportError:
        raise ImageLoadError("camera RAW needs the optional package rawpy (pip install rawpy)") from None
    try:
        with rawpy.imread(str(path)) as raw:
            thumb = raw.extract_thumb()
    except Exception as error:  # rawpy raises its own LibRawError family
        raise ImageLoadError(f"camera RAW without a readable embedded preview: {error}") from None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        return Image.open(io.BytesIO(thumb.data))
    return Image.fromarray(thumb.data)


def to_rgb(image: Image.Image, checkered: bool = False) -> Image.Image:
    """Any mode to RGB: alpha composited on white (on grey checkers for the eye: a white
    wallpaper with alpha would otherwise look blank), 16-bit scaled, CMYK and palette converted."""
    if image.mode == "RGB":
        return image
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _scale_to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = _checkers(rgba.size) if checkered else Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _checkers(size: tuple[int, int], square: int = 8) -> Image.Image:
    """The usual sign of transparency: light and mid grey squares."""
    import numpy as np

    rows, columns = np.indices((size[1], size[0]))
    light = ((rows // square + columns // square) % 2 == 0)[..., None]
    pixels = np.where(light, np.uint8(204), np.uint8(153)).repeat(3, axis=2)
    alpha = np.full((size[1], size[0], 1), 255, dtype=np.uint8)
    return Image.fromarray(np.concatenate([pixels, alpha], axis=2), "RGBA")


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    import numpy as np

    array = np.asarray(image, dtype=np.float64)
    peak = 65535.0 if image.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(array * (255.0 / peak), 0, 255).astype(np.uint8))


# Bytes a decoder holds per byte of Pillow's image besides the image itself, measured with
# Pillow 13 on 36 MP images: WebP's animation decoder keeps two canvases and a copy of the
# frame; libtiff one strip (at times the whole image, 16-bit ones twice the image's bytes);
# libheif its planes. PNG, GIF, BMP and baseline JPEG decode rows straight into the image.
_DECODER_OVERHEAD = {"WEBP": 3.0, "TIFF": 1.5, "HEIF": 1.25}
# Reducing these modes makes a full-size copy first (premultiplied alpha; 16-bit resampling
# keeps one pass of rows, at most half the image).
_COPIED_WHEN_REDUCED = frozenset({"LA", "RGBA", "I;16", "I;16L", "I;16B", "I;16N"})
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class _MemoryBudget:
    """Bytes that decodes running at once may hold; a decode waits until its share is free.
    Nothing waits for ever: every share is at most the whole budget and is given back when
    its decode ends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_use = 0
        self._freed = threading.Condition()

    @contextmanager
    def reserve(self, amount: int) -> Iterator[None]:
        amount = min(amount, self.limit)
        with self._freed:
            self._freed.wait_for(lambda: self._in_use + amount <= self.limit)
            self._in_use += amount
        try:
            yield
        finally:
            with self._freed:
                self._in_use -= amount
                self._freed.notify_all()


_decode_memory = _MemoryBudget(DECODE_MEMORY_BUDGET)


def decode_cost(image_format: str | None, mode: str, size: tuple[int, int], reduced: bool) -> int:
    """Peak bytes to decode an image of this format, mode and size, then either reduce it
    (``reduced``) or keep it whole through orientation and RGB conversion."""
    pixel_bytes = _bytes_per_pixel(mode)
    decoding = pixel_bytes * (1.0 + _DECODER_OVERHEAD.get(image_format or "", 0.0))
    if not reduced:
        decoded = pixel_bytes + 8.0  # the upright copy and the RGB one
    else:
        decoded = 2.0 * pixel_bytes if mode in _COPIED_WHEN_REDUCED else pixel_bytes
    return int(size[0] * size[1] * max(decoding, decoded))


def _coefficient_bytes(image: Image.Image) -> int:
    """A progressive JPEG holds every DCT coefficient of the whole image (two bytes each, one
    per band at most) until its last scan, whatever scale its draft decodes at."""
    if image.format not in ("JPEG", "MPO") or not image.info.get("progressive"):
        return 0
    return image.width * image.height * 2 * len(image.getbands())


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow allocates per pixel: three- and two-band images take four bytes."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _refuse_beyond_budget(cost: int, image_format: str | None, size: tuple[int, int]) -> None:
    if cost > _decode_memory.limit:
        raise ImageLoadError(
            f"too large to decode within the memory limit: this {size[0]}x{size[1]} "
            f"{image_format or 'image'} needs about {_megabytes(cost)} to decode "
            f"(limit {_megabytes(_decode_memory.limit)}); a JPEG or a smaller copy can be read"
        )


def _megabytes(amount: int) -> str:
    return f"{amount / 2**20:,.0f} MB"


def _refuse_webp_beyond_budget(path: Path) -> None:
    with open(path, "rb") as file:
        size = _webp_size(file.read(30))
    if size is not None:
        _refuse_beyond_budget(decode_cost("WEBP", "RGBA", size, reduced=True), "WebP", size)


def _webp_size(header: bytes) -> tuple[int, int] | None:
    """Canvas size from the first 30 bytes of a WebP file (RFC 9649), None for other files."""
    if len(header) < 30 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return None
    chunk = header[12:16]
    if chunk == b"VP8 " and header[23:26] == b"\x9d\x01\x2a":  # lossy: 14-bit sizes
        width, height = struct.unpack("<HH", header[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and header[20] == 0x2F:  # lossless: 14 bits each, minus one
        bits = int.from_bytes(header[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24 bits each, minus one
        return int.from_bytes(header[24:27], "little") + 1, int.from_bytes(header[27:30], "little") + 1
    return None


def _decode_upright_rgb(
    image: Image.Image, min_side: int | None, checkered: bool = False
) -> tuple[Image.Image, dict[int, object]]:
    """Decode within the memory budget: at the smallest draft the format offers, then reduced
    at once to at least ``min_side`` on the short side, upright, in RGB. With its EXIF."""
    full_size, coefficients = image.size, _coefficient_bytes(image)
    exif = _exif_without_decoding(image)
    if min_side:
        image.draft("RGB", (min_side, min_side))  # JPEG scales its DCT, HEIF picks a thumbnail
    reduced = bool(min_side) and min(image.size) >= 2 * min_side
    cost = decode_cost(image.format, image.mode, image.size, reduced) + coefficients
    _refuse_beyond_budget(cost, image.format, full_size)
    with _decode_memory.reserve(cost):
        try:
            image.seek(0)  # first frame of a GIF / multi-page TIFF
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise ImageLoadError(f"damaged or truncated image data: {error}") from None
        if exif is None:
            exif = _read_exif(image)
        if reduced:
            small = _reduce(image, min_side or 1)
            image.close()  # frees the full-size pixels now, not when the caller lets go
            image = small
        transpose = _TRANSPOSE_FOR_ORIENTATION.get(_orientation(exif))
        if transpose is not None:
            image = image.transpose(transpose)
        return to_rgb(image, checkered), exif


def _exif_without_decoding(image: Image.Image) -> dict[int, object] | None:
    """EXIF from the header; None where Pillow would decode the pixels to look for it (a PNG
    may keep it after them), so that it is read once they are decoded within the budget."""
    if image.format == "PNG" and "exif" not in image.info:
        return None
    return _read_exif(image)


def _reduce(image: Image.Image, min_side: int) -> Image.Image:
    """Box-average by the largest whole factor that keeps ``min_side`` on the short side."""
    factor = min(image.size) // min_side
    size = (-(-image.width // factor), -(-image.height // factor))
    if image.mode in ("1", "P", "PA"):
        return image.resize(size, Image.Resampling.NEAREST)  # palette indices cannot be averaged
    if image.mode.startswith("I;16"):
        return image.resize(size, Image.Resampling.BOX)  # reduce() lacks 16-bit modes
    return image.reduce(factor)


def _orientation(exif: dict[int, object]) -> int:
    try:
        return int(exif.get(_TAG_ORIENTATION, 1) or 1)
    except (TypeError, ValueError):
        return 1


def load_rgb(path: Path | str, min_side: int | None = None, checkered: bool = False) -> Image.Image:
    """Decode a photo upright in RGB, with at least ``min_side`` pixels on its short side
    when the file has that many (and not much more: large images are decoded reduced);
    transparent parts on white, or on checkers for showing it (``checkered``)."""
    image = open_image(Path(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _decode_upright_rgb(image, min_side, checkered)[0]


def make_thumbnail(image: Image.Image, side: int = THUMBNAIL_SIDE) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return buffer.getvalue()


def inspect_photo(path: Path | str, thumbnail_side: int = THUMBNAIL_SIDE) -> tuple[PhotoMetadata, bytes]:
    """Metadata and a JPEG thumbnail from one reduced decode."""
    metadata, thumbnail, _ = inspect_and_prepare(path, None, thumbnail_side)
    return metadata, thumbnail


def inspect_and_prepare(
    path: Path | str, prepare: Callable[[Image.Image], Any] | None, thumbnail_side: int = THUMBNAIL_SIDE
) -> tuple[PhotoMetadata, bytes, Any]:
    """``inspect_photo`` that also hands the same decoded photo to ``prepare`` (a search
    model's preprocessing), sparing the search pass a decode of its own. Its result is None
    for a photo with transparency: the thumbnail shows it on checkers, the models on white."""
    image = open_image(Path(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full_width, full_height = image.size  # before draft() shrinks it
        transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
        rgb, exif = _decode_upright_rgb(image, thumbnail_side, checkered=True)  # the thumbnail is for the eye only
    prepared = prepare(rgb) if prepare is not None and not transparent else None
    return _metadata(exif, full_width, full_height), make_thumbnail(rgb, thumbnail_side), prepared


def read_metadata(path: Path | str) -> PhotoMetadata:
    """Metadata from the header alone, no pixel decoded (re-reading metadata is cheap)."""
    image = open_image(Path(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _metadata(_read_exif(image), *image.size)
    finally:
        image.close()


def _metadata(exif: dict[int, object], full_width: int, full_height: int) -> PhotoMetadata:
    orientation = _orientation(exif)
    if orientation in (5, 6, 7, 8):
        full_width, full_height = full_height, full_width
    capture = read_capture(exif)
    position = valid_coordinates(_gps_coordinate(exif, 2, 1), _gps_coordinate(exif, 4, 3))
    return PhotoMetadata(
        width=full_width,
        height=full_height,
        taken_at=capture.taken_at,
        orientation=orientation,
        camera=_camera(exif),
        gps_lat=position[0] if position else None,
        gps_lon=position[1] if position else None,
        taken_offset=capture.offset,
        taken_subsec_ms=capture.subsec_ms,
        date_note=capture.note,
    )


def _read_exif(image: Image.Image) -> dict[int, object]:
    try:
        exif = image.getexif()
    except Exception:  # malformed EXIF must not lose the photo
        return {}
    merged: dict[int, object] = dict(exif)
    try:
        merged.update(exif.get_ifd(_EXIF_IFD))
        gps = exif.get_ifd(_GPS_IFD)
        if gps:
            merged[_GPS_IFD] = dict(gps)
    except Exception:
        pass
    return merged


def _camera(exif: dict[int, object]) -> str | None:
    make = str(exif.get(_TAG_MAKE) or "").strip("\x00 ")
    model = str(exif.get(_TAG_MODEL) or "").strip("\x00 ")
    if model.lower().startswith(make.lower()):
        make = ""
    text = f"{make} {model}".strip()
    return text or None


def _gps_coordinate(exif: dict[int, object], value_tag: int, ref_tag: int) -> float | None:
    gps = exif.get(_GPS_IFD)
    if not isinstance(gps, dict) or value_tag not in gps:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in gps[value_tag])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    ref = str(gps.get(ref_tag, "")).strip("\x00 ").upper()
    return -value if ref in ("S", "W") else value
