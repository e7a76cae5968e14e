"""Thumbnails of library photos; the cache itself lives in ``storage.thumbnails``."""

from __future__ import annotations

from photo_organizer.storage import Library
from photo_organizer.storage.thumbnails import ThumbnailCache

__all__ = ["ThumbnailCache", "load_thumbnail"]


def load_thumbnail(library: Library, cache: ThumbnailCache, photo_id: int) -> bytes | None:
    fingerprint = library.photo(photo_id).fingerprint
    return cache.get(fingerprint) if fingerprint else None
