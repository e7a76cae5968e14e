"""What the grid shows when browsing (no search): photo ids for a sidebar entry, newest first.

Pure Python over the library database, no Qt, so it is tested without widgets. Relevance
ranking is never done here: search results come from the search core.
"""

from __future__ import annotations

import numpy as np

from photo_organizer.app.types import FolderEntry, GridContents
from photo_organizer.storage import OK, Library, path_from_db

# Newest first by capture date; photos without EXIF date fall back to the file's mtime.
_DATE_ORDER = "COALESCE(p.taken_at, datetime(p.mtime, 'unixepoch', 'localtime')) DESC, p.id DESC"


def _ids(library: Library, sql: str, params: list) -> np.ndarray:
    rows = library.db.execute(sql, params).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def all_photos(library: Library) -> GridContents:
    ids = _ids(library, f"SELECT p.id FROM photos p WHERE p.state = ? ORDER BY {_DATE_ORDER}", [OK])
    return GridContents(ids, title="All photos")


def folder_photos(library: Library, root_id: int) -> GridContents:
    rows = library.query("SELECT path FROM roots WHERE id = ?", [root_id])
    title = path_from_db(rows[0]["path"]) if rows else "Folder"
    ids = _ids(
        library,
        f"SELECT p.id FROM photos p WHERE p.state = ? AND p.root_id = ? ORDER BY {_DATE_ORDER}",
        [OK, root_id],
    )
    return GridContents(ids, title=title)


def liked_photos(library: Library) -> GridContents:
    """Photos the user liked in any search session, most recently liked first."""
    ids = _ids(
        library,
        "SELECT f.photo_id FROM feedback f JOIN photos p ON p.id = f.photo_id "
        "WHERE f.label > 0 AND p.state = ? GROUP BY f.photo_id ORDER BY MAX(f.created_at) DESC",
        [OK],
    )
    return GridContents(ids, labels={int(i): 1 for i in ids}, title="Liked photos")


def photos_in_order(library: Library, photo_ids: list[int], title: str) -> GridContents:
    """Keep the given order (an album's members, a duplicate group), dropping photos not OK."""
    live = set()
    for start in range(0, len(photo_ids), 900):
        chunk = photo_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        live.update(_ids(library, f"SELECT id FROM photos WHERE state = ? AND id IN ({marks})", [OK, *chunk]).tolist())
    return GridContents(np.array([i for i in photo_ids if i in live], dtype=np.int64), title=title)


def folders(library: Library) -> list[FolderEntry]:
    rows = library.query(
        "SELECT r.id, r.path, COUNT(p.id) AS n FROM roots r "
        "LEFT JOIN photos p ON p.root_id = r.id AND p.state = ? GROUP BY r.id ORDER BY r.path",
        [OK],
    )
    return [FolderEntry(r["id"], path_from_db(r["path"]), r["n"]) for r in rows]


def photo_paths(library: Library, photo_ids: list[int]) -> dict[int, str]:
    paths: dict[int, str] = {}
    for start in range(0, len(photo_ids), 900):
        chunk = photo_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in library.db.execute(f"SELECT id, path FROM photos WHERE id IN ({marks})", chunk):
            paths[row[0]] = path_from_db(row[1])
    return paths
