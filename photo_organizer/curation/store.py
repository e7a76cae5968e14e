"""All SQL of curation: ratings, labels, captions, favourites, keywords, and the XMP bookkeeping.

Tables (created by ``migrate_curation``):
* ``curation``: one row per photo the user (or another tool's XMP) curated; ``changed_at`` is
  when its values last changed, compared with a sidecar's mtime to decide which one wins;
* ``keywords`` (a path per row, unique ignoring case, with its last part in ``leaf``) and
  ``photo_keywords`` (which photo has which keyword);
* ``sidecars``: the ``.xmp`` files the scanner saw (path, size, mtime) and the path they name
  (``target``: the file name without ``.xmp``);
* ``xmp_reads``: per photo, what was last read (the photo's mtime and its sidecar's path, size
  and mtime) and the error, if any; a difference with the current state makes it pending.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from photo_organizer.curation.model import CAPTION, FAVOURITE, KEYWORDS, LABEL, RATING, Curation, leaf

if TYPE_CHECKING:
    from photo_organizer.storage import Library

COLUMNS = {RATING: "rating", LABEL: "label", CAPTION: "caption", FAVOURITE: "favourite"}


def migrate_curation(db: Any) -> None:
    db.execute(
        "CREATE TABLE curation (photo_id INTEGER PRIMARY KEY REFERENCES photos(id), rating INTEGER, label TEXT, "
        "caption TEXT, favourite INTEGER NOT NULL DEFAULT 0, changed_at REAL)"
    )
    db.execute("CREATE INDEX curation_rating ON curation (rating)")
    db.execute(
        "CREATE TABLE keywords (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE COLLATE NOCASE, "
        "leaf TEXT NOT NULL COLLATE NOCASE)"
    )
    db.execute("CREATE INDEX keywords_leaf ON keywords (leaf)")
    db.execute(
        "CREATE TABLE photo_keywords (photo_id INTEGER NOT NULL REFERENCES photos(id), "
        "keyword_id INTEGER NOT NULL REFERENCES keywords(id), PRIMARY KEY (photo_id, keyword_id))"
    )
    db.execute("CREATE INDEX photo_keywords_keyword ON photo_keywords (keyword_id)")
    db.execute("CREATE TABLE sidecars (path TEXT PRIMARY KEY, root_id INTEGER, target TEXT NOT NULL, size INTEGER, mtime REAL)")
    db.execute("CREATE INDEX sidecars_target ON sidecars (target)")
    db.execute("CREATE INDEX sidecars_root ON sidecars (root_id)")
    db.execute(
        "CREATE TABLE xmp_reads (photo_id INTEGER PRIMARY KEY REFERENCES photos(id), photo_mtime REAL, "
        "sidecar_path TEXT, sidecar_size INTEGER, sidecar_mtime REAL, read_at REAL, error TEXT)"
    )


PHOTO_TABLES = ("curation", "photo_keywords", "xmp_reads")  # rows keyed by photo, deleted with it

# storage.py lists the migration above, so this import comes after it and its names are used
# at call time (either module may be imported first).
from photo_organizer import storage  # noqa: E402


# ---- reading curation ---------------------------------------------------------------------


def curations(library: Library, photo_ids: Sequence[int]) -> dict[int, Curation]:
    """Every asked photo's curation (an empty one where none was recorded)."""
    found: dict[int, dict[str, Any]] = {int(pid): {} for pid in photo_ids}
    keywords: dict[int, list[str]] = {pid: [] for pid in found}
    for chunk in storage.iter_chunks(list(found), storage.SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        for row in library.query(f"SELECT * FROM curation WHERE photo_id IN ({marks})", chunk):
            found[row["photo_id"]] = row
        for row in library.query(
            f"SELECT pk.photo_id, k.path FROM photo_keywords pk JOIN keywords k ON k.id = pk.keyword_id "
            f"WHERE pk.photo_id IN ({marks}) ORDER BY k.path COLLATE NOCASE",
            chunk,
        ):
            keywords[row["photo_id"]].append(row["path"])
    return {
        pid: Curation(
            rating=row.get("rating"),
            label=row.get("label"),
            caption=row.get("caption"),
            favourite=bool(row.get("favourite")),
            keywords=tuple(keywords[pid]),
        )
        for pid, row in found.items()
    }


def changed_at(library: Library, photo_ids: Sequence[int]) -> dict[int, float]:
    times: dict[int, float] = {}
    for chunk in storage.iter_chunks(list(photo_ids), storage.SQL_VARIABLES_PER_QUERY):
        marks = ",".join("?" * len(chunk))
        for row in library.query(f"SELECT photo_id, changed_at FROM curation WHERE photo_id IN ({marks})", chunk):
            if row["changed_at"] is not None:
                times[row["photo_id"]] = row["changed_at"]
    return times


def keyword_photos(library: Library) -> dict[str, set[int]]:
    """The live photos of each keyword path."""
    rows = library.query(
        "SELECT k.path, pk.photo_id FROM photo_keywords pk JOIN keywords k ON k.id = pk.keyword_id "
        "JOIN photos p ON p.id = pk.photo_id WHERE p.state = ?",
        [storage.OK],
    )
    photos: dict[str, set[int]] = {}
    for row in rows:
        photos.setdefault(row["path"], set()).add(row["photo_id"])
    return photos


def keyword_completions(library: Library, typed: str, limit: int = 20) -> list[str]:
    """Keyword paths for autocompletion: those whose path or last part starts with ``typed``."""
    pattern = typed.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = library.query(
        "SELECT path FROM keywords WHERE path LIKE ? ESCAPE '\\' OR leaf LIKE ? ESCAPE '\\' "
        "ORDER BY leaf LIKE ? ESCAPE '\\' DESC, path LIMIT ?",
        [pattern, pattern, pattern, limit],
    )
    return [row["path"] for row in rows]


def filter_clauses(
    min_rating: int | None, keyword: str | None, label: str | None, favourites: bool | None
) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``photos p`` for the search filters (see ``search.query``)."""
    clauses: list[str] = []
    params: list[Any] = []
    if min_rating is not None:
        clauses.append("EXISTS (SELECT 1 FROM curation c WHERE c.photo_id = p.id AND c.rating >= ?)")
        params.append(min_rating)
    if label is not None:
        clauses.append("EXISTS (SELECT 1 FROM curation c WHERE c.photo_id = p.id AND c.label = ? COLLATE NOCASE)")
        params.append(label)
    if favourites:
        clauses.append("EXISTS (SELECT 1 FROM curation c WHERE c.photo_id = p.id AND c.favourite = 1)")
    if keyword is not None:
        # The path itself, any path below it, or (a single name) any path ending in that name.
        clauses.append(
            "EXISTS (SELECT 1 FROM photo_keywords pk JOIN keywords k ON k.id = pk.keyword_id WHERE pk.photo_id = p.id "
            "AND (k.path = ? OR substr(k.path, 1, ?) = ? COLLATE NOCASE OR (? AND k.leaf = ?)))"
        )
        params += [keyword, len(keyword) + 1, keyword + "/", "/" not in keyword, keyword]
    return clauses, params


# ---- writing curation ---------------------------------------------------------------------


def write_field(library: Library, values: dict[int, Any], field: str) -> None:
    """Set one field (rating, label, caption, favourite or keywords) per photo, in one transaction."""
    now = time.time()
    with library.transaction():
        _touch(library, list(values), now)
        if field == KEYWORDS:
            for photo_id, paths in values.items():
                _replace_keywords(library, photo_id, paths)
            _forget_unused_keywords(library)
        else:
            column = COLUMNS[field]
            library.db.conn.executemany(
                f"UPDATE curation SET {column} = ? WHERE photo_id = ?",
                [(_column_value(field, value), pid) for pid, value in values.items()],
            )


def import_fields(library: Library, photo_id: int, fields: dict[str, Any]) -> None:
    """Values read from XMP for one photo; the caller holds the transaction."""
    _touch(library, [photo_id], time.time())
    for field, value in fields.items():
        if field == KEYWORDS:
            _replace_keywords(library, photo_id, value)
        else:
            library.db.execute(f"UPDATE curation SET {COLUMNS[field]} = ? WHERE photo_id = ?", [value, photo_id])


def _column_value(field: str, value: Any) -> Any:
    return int(bool(value)) if field == FAVOURITE else value


def _touch(library: Library, photo_ids: Sequence[int], now: float) -> None:
    library.db.conn.executemany(
        "INSERT INTO curation (photo_id, changed_at) VALUES (?, ?) ON CONFLICT (photo_id) DO UPDATE SET changed_at = ?",
        [(pid, now, now) for pid in photo_ids],
    )


def _replace_keywords(library: Library, photo_id: int, paths: Iterable[str]) -> None:
    library.db.execute("DELETE FROM photo_keywords WHERE photo_id = ?", [photo_id])
    library.db.conn.executemany(
        "INSERT OR IGNORE INTO photo_keywords (photo_id, keyword_id) VALUES (?, ?)",
        [(photo_id, _keyword_id(library, path)) for path in paths],
    )


def _keyword_id(library: Library, path: str) -> int:
    library.db.execute("INSERT OR IGNORE INTO keywords (path, leaf) VALUES (?, ?)", [path, leaf(path)])
    return int(library.db.execute("SELECT id FROM keywords WHERE path = ?", [path]).fetchone()[0])


def _forget_unused_keywords(library: Library) -> None:
    """Keywords no photo has any more (what autocompletion offers must exist)."""
    library.db.execute(
        "DELETE FROM keywords WHERE NOT EXISTS (SELECT 1 FROM photo_keywords pk WHERE pk.keyword_id = keywords.id)"
    )


# ---- sidecars and what was read ------------------------------------------------------------


def replace_root_sidecars(library: Library, root_id: int, found: Sequence[tuple[str, int, float]]) -> None:
    """The sidecars (path, size, mtime) a complete walk of a root saw; the caller commits."""
    library.db.execute("DELETE FROM sidecars WHERE root_id = ?", [root_id])
    library.db.conn.executemany(
        "INSERT OR REPLACE INTO sidecars (path, root_id, target, size, mtime) VALUES (?, ?, ?, ?, ?)",
        [(storage.path_to_db(path), root_id, storage.path_to_db(path[: -len(".xmp")]), size, mtime) for path, size, mtime in found],
    )


def record_sidecar(library: Library, root_id: int | None, path: str, stat: tuple[int, float] | None) -> None:
    """A sidecar we just wrote, (size, mtime), or removed (None): the next scan will agree."""
    with library.transaction():
        library.db.execute("DELETE FROM sidecars WHERE path = ?", [storage.path_to_db(path)])
        if stat is not None:
            library.db.execute(
                "INSERT INTO sidecars (path, root_id, target, size, mtime) VALUES (?, ?, ?, ?, ?)",
                [storage.path_to_db(path), root_id, storage.path_to_db(path[: -len(".xmp")]), *stat],
            )


# Each live photo with the sidecar that applies to it: IMG_1.JPG.xmp before IMG_1.xmp.
_PENDING_SQL = """
WITH pairs AS (
    SELECT p.id AS photo_id, s.path, s.size, s.mtime, 0 AS preference
    FROM sidecars s JOIN photos p ON p.path = s.target
    UNION ALL
    SELECT p.id, s.path, s.size, s.mtime, 1
    FROM sidecars s JOIN photos p ON p.path > s.target || '.' AND p.path < s.target || '/'
    WHERE instr(substr(p.path, length(s.target) + 2), '.') = 0
      AND instr(substr(p.path, length(s.target) + 2), '/') = 0
),
best AS (
    SELECT photo_id, path, size, mtime FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY photo_id ORDER BY preference, path) AS n FROM pairs
    ) WHERE n = 1
)
SELECT {columns}
FROM photos p LEFT JOIN best b ON b.photo_id = p.id LEFT JOIN xmp_reads r ON r.photo_id = p.id
WHERE p.state = ? AND (r.photo_id IS NULL OR r.photo_mtime IS NOT p.mtime OR r.sidecar_path IS NOT b.path
    OR r.sidecar_size IS NOT b.size OR r.sidecar_mtime IS NOT b.mtime)
"""


def pending_reads(library: Library) -> list[dict[str, Any]]:
    """Photos whose own metadata or sidecar changed since last read (or never read)."""
    columns = "p.id, p.path, p.mtime, b.path AS sidecar_path, b.size AS sidecar_size, b.mtime AS sidecar_mtime"
    return library.query(_PENDING_SQL.format(columns=columns) + " ORDER BY p.id", [storage.OK])


def pending_read_count(library: Library) -> int:
    return int(library.query(_PENDING_SQL.format(columns="COUNT(*) AS n"), [storage.OK])[0]["n"])


def record_reads(library: Library, reads: Sequence[dict[str, Any]]) -> None:
    """What was read per photo (keys as in ``xmp_reads``); the caller holds the transaction."""
    library.db.conn.executemany(
        "INSERT OR REPLACE INTO xmp_reads (photo_id, photo_mtime, sidecar_path, sidecar_size, sidecar_mtime, read_at, error) "
        "VALUES (:photo_id, :photo_mtime, :sidecar_path, :sidecar_size, :sidecar_mtime, :read_at, :error)",
        reads,
    )


def recorded_read(library: Library, photo_id: int) -> dict[str, Any] | None:
    rows = library.query("SELECT * FROM xmp_reads WHERE photo_id = ?", [photo_id])
    return rows[0] if rows else None


def mark_sidecar_read(library: Library, photo_id: int, path: str | None, stat: tuple[int, float] | None) -> None:
    sidecar = (storage.path_to_db(path), *stat) if path is not None and stat is not None else (None, None, None)
    with library.transaction():
        library.db.execute(
            "UPDATE xmp_reads SET sidecar_path = ?, sidecar_size = ?, sidecar_mtime = ? WHERE photo_id = ?",
            [*sidecar, photo_id],
        )


def read_errors(library: Library) -> list[dict[str, Any]]:
    """The live photos whose sidecar could not be read, with the reason."""
    return library.query(
        "SELECT r.photo_id, r.sidecar_path, r.error FROM xmp_reads r JOIN photos p ON p.id = r.photo_id "
        "WHERE r.error IS NOT NULL AND p.state = ? ORDER BY r.photo_id",
        [storage.OK],
    )
