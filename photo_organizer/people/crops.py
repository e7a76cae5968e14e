"""Face crops for the window (a People section shows one per person, and a person's faces)."""

from __future__ import annotations

import io

from PIL import Image

from photo_organizer.imaging import load_rgb
from photo_organizer.people import store
from photo_organizer.people.detection import DECODE_MIN_SIDE, face_crop
from photo_organizer.storage import Library

CROP_SIDE = 160


def face_crop_image(library: Library, face_id: int, side: int = CROP_SIDE) -> Image.Image:
    """The face's square crop from its upright photo. Raises ImageLoadError / OSError when the
    photo cannot be read (a missing drive), LibraryError for an unknown face."""
    face = store.get_face(library, face_id)
    return face_crop(load_rgb(face.path, DECODE_MIN_SIDE), face.box, side)


def face_crop_jpeg(library: Library, face_id: int, side: int = CROP_SIDE, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    face_crop_image(library, face_id, side).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
