"""Reading photos: every supported format to an upright RGB image, metadata, thumbnails.

Never writes to the photo. JPEGs are decoded in draft mode at the smallest DCT scale that
still covers the size asked for (2-5x faster on camera photos). A decompression-bomb guard
refuses images above ``MAX_PIXELS`` from their header, before any pixel is decoded.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from photo_organizer.errors import ImageLoadError
from photo_organizer.timeline.capture import read_capture, valid_coordinates

MAX_PIXELS = 250_000_000  # a 250 MP panorama is fine; a 900 MP PNG is a bomb
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


def to_rgb(image: Image.Image) -> Image.Image:
    """Any mode to RGB: alpha composited on white, 16-bit scaled, CMYK and palette converted."""
    if image.mode == "RGB":
        return image
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _scale_to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    import numpy as np

    array = np.asarray(image, dtype=np.float64)
    peak = 65535.0 if image.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(array * (255.0 / peak), 0, 255).astype(np.uint8))


def _decode(image: Image.Image, min_side: int | None) -> Image.Image:
    if min_side and image.format == "JPEG":
        image.draft("RGB", (min_side, min_side))
    try:
        image.seek(0)  # first frame of a GIF / multi-page TIFF
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageLoadError(f"damaged or truncated image data: {error}") from None
    return image


def load_rgb(path: Path | str, min_side: int | None = None) -> Image.Image:
    """Decode a photo upright in RGB, with at least ``min_side`` pixels on its short side
    when the file has that many (JPEG draft mode decodes no more than needed)."""
    image = open_image(Path(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = _decode(image, min_side)
        upright = ImageOps.exif_transpose(image)
    return to_rgb(upright if upright is not None else image)


def make_thumbnail(image: Image.Image, side: int = THUMBNAIL_SIDE) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return buffer.getvalue()


def inspect_photo(path: Path | str, thumbnail_side: int = THUMBNAIL_SIDE) -> tuple[PhotoMetadata, bytes]:
    """Metadata and a JPEG thumbnail from one (draft-mode) decode."""
    image = open_image(Path(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full_width, full_height = image.size  # before draft() shrinks it
        exif = _read_exif(image)
        image = _decode(image, thumbnail_side)
        upright = ImageOps.exif_transpose(image) or image
    rgb = to_rgb(upright)
    return _metadata(exif, full_width, full_height), make_thumbnail(rgb, thumbnail_side)


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
    orientation = int(exif.get(_TAG_ORIENTATION, 1) or 1)
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
