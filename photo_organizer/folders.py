"""Library folders beyond the database rows: forgetting one with its thumbnails, moving one,
and clearing the search history (with the remembered query texts).

Removing a folder (``Library.remove_root``) keeps its photos' albums, marks and edits for when
it is added again; *forgetting* it deletes them, its thumbnails and the searches that used it.
"""

from __future__ import annotations

from pathlib import Path

from photo_organizer.home import DataHome
from photo_organizer.storage import Library
from photo_organizer.storage.query_cache import QueryCache
from photo_organizer.storage.thumbnails import ThumbnailCache


def forget_folder(library: Library, home: DataHome, path: str | Path) -> int:
    """Delete a folder's photos from the library for good. Returns how many photos went."""
    count, unused_fingerprints = library.forget_root(Path(path))
    if unused_fingerprints and home.thumbnails_path.exists():
        cache = ThumbnailCache(home.thumbnails_path)
        try:
            cache.delete_many(unused_fingerprints)
        finally:
            cache.close()
    return count


def clear_search_history(library: Library, home: DataHome) -> int:
    """Forget every saved search, its marks and the remembered query texts. Returns how many
    searches went."""
    from photo_organizer.search.query_encoding import CACHE_FILE

    count = library.clear_search_history()
    cache_path = home.cache_dir / CACHE_FILE
    if cache_path.exists():
        QueryCache(cache_path).clear()
    return count
