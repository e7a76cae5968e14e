"""The curation tables: ratings, labels, captions, favourites, keywords, and the XMP bookkeeping.

* ``curation``: one row per photo the user (or another tool's XMP) curated; ``changed_at`` is
  when its values last changed, compared with a sidecar's mtime to decide which one wins;
* ``keywords`` (a path per row, unique ignoring case, with its last part in ``leaf``) and
  ``photo_keywords`` (which photo has which keyword);
* ``sidecars``: the ``.xmp`` files the scanner saw (path, size, mtime) and the path they name
  (``target``: the file name without ``.xmp``);
* ``xmp_reads``: per photo, what was last read (the photo's mtime and its sidecar's path, size
  and mtime) and the error, if any; a difference with the current state makes it pending.
The rules (which value wins, how keywords merge) live in ``photo_organizer.curation``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from photo_organizer.curation.model import FAVOURITE, KEYWORDS, SIDECAR_SUFFIX, Curation, leaf
from photo_organizer.storage.database import OK, Database, iter_chunks, marks, path_to_db

_COLUMNS = {"rating": "rating", "label": "label", "caption": "caption", FAVOURITE: "favourite"}

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


def curation_filter_clauses(
    min_rating: int | None, keyword: str | None, label: str | None, favourites: bool | None
) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``photos p`` for the curation filters of ``filtered_photo_ids``."""
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


class CurationStore(Database):
    # ---- reading curation ------------------------------------------------------------------

    def curations(self, photo_ids: Sequence[int]) -> dict[int, Curation]:
        """Every asked photo's curation (an empty one where none was recorded)."""
        found: dict[int, dict[str, Any]] = {int(pid): {} for pid in photo_ids}
        keywords: dict[int, list[str]] = {pid: [] for pid in found}
        for chunk in iter_chunks(list(found)):
            for row in self.query(f"SELECT * FROM curation WHERE photo_id IN ({marks(chunk)})", chunk):
                found[row["photo_id"]] = row
            for row in self.query(
                f"SELECT pk.photo_id, k.path FROM photo_keywords pk JOIN keywords k ON k.id = pk.keyword_id "
                f"WHERE pk.photo_id IN ({marks(chunk)}) ORDER BY k.path COLLATE NOCASE",
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

    def curation_changed_at(self, photo_ids: Sequence[int]) -> dict[int, float]:
        """When the library last changed each photo's curation (photos never curated: absent)."""
        times: dict[int, float] = {}
        for chunk in iter_chunks(list(photo_ids)):
            sql = f"SELECT photo_id, changed_at FROM curation WHERE photo_id IN ({marks(chunk)})"
            for row in self.query(sql, chunk):
                if row["changed_at"] is not None:
                    times[row["photo_id"]] = row["changed_at"]
        return times

    def keyword_photos(self) -> dict[str, set[int]]:
        """The live photos of each keyword path."""
        rows = self.query(
            "SELECT k.path, pk.photo_id FROM photo_keywords pk JOIN keywords k ON k.id = pk.keyword_id "
            "JOIN photos p ON p.id = pk.photo_id WHERE p.state = ?",
            [OK],
        )
        photos: dict[str, set[int]] = {}
        for row in rows:
            photos.setdefault(row["path"], set()).add(row["photo_id"])
        return photos

    def keyword_completions(self, typed: str, limit: int = 20) -> list[str]:
        """Keyword paths for autocompletion: those whose path or last part starts with ``typed``."""
        pattern = typed.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.query(
            "SELECT path FROM keywords WHERE path LIKE ? ESCAPE '\\' OR leaf LIKE ? ESCAPE '\\' "
            "ORDER BY leaf LIKE ? ESCAPE '\\' DESC, path LIMIT ?",
            [pattern, pattern, pattern, limit],
        )
        return [row["path"] for row in rows]

    def favourite_photo_ids(self) -> list[int]:
        """Live favourite photos, most recently curated first."""
        rows = self.query(
            "SELECT c.photo_id FROM curation c JOIN photos p ON p.id = c.photo_id "
            "WHERE c.favourite = 1 AND p.state = ? ORDER BY c.changed_at DESC, c.photo_id DESC",
            [OK],
        )
        return [int(row["photo_id"]) for row in rows]

    # ---- writing curation ------------------------------------------------------------------

    def write_curation_field(self, values: dict[int, Any], field: str) -> None:
        """Set one field (rating, label, caption, favourite or keywords) per photo, in one transaction."""
        now = time.time()
        with self.transaction():
            self._touch_curation(list(values), now)
            if field == KEYWORDS:
                for photo_id, paths in values.items():
                    self._replace_keywords(photo_id, paths)
                self._forget_unused_keywords()
            else:
                column = _COLUMNS[field]
                self.db.conn.executemany(
                    f"UPDATE curation SET {column} = ? WHERE photo_id = ?",
                    [(int(bool(value)) if field == FAVOURITE else value, pid) for pid, value in values.items()],
                )

    def import_curation_fields(self, photo_id: int, fields: dict[str, Any]) -> None:
        """Values read from XMP for one photo; the caller holds the transaction."""
        self._touch_curation([photo_id], time.time())
        for field, value in fields.items():
            if field == KEYWORDS:
                self._replace_keywords(photo_id, value)
            else:
                self.execute(f"UPDATE curation SET {_COLUMNS[field]} = ? WHERE photo_id = ?", [value, photo_id])

    def _touch_curation(self, photo_ids: Sequence[int], now: float) -> None:
        self.db.conn.executemany(
            "INSERT INTO curation (photo_id, changed_at) VALUES (?, ?) ON CONFLICT (photo_id) DO UPDATE SET changed_at = ?",
            [(pid, now, now) for pid in photo_ids],
        )

    def _replace_keywords(self, photo_id: int, paths: Iterable[str]) -> None:
        self.execute("DELETE FROM photo_keywords WHERE photo_id = ?", [photo_id])
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO photo_keywords (photo_id, keyword_id) VALUES (?, ?)",
            [(photo_id, self._keyword_id(path)) for path in paths],
        )

    def _keyword_id(self, path: str) -> int:
        self.execute("INSERT OR IGNORE INTO keywords (path, leaf) VALUES (?, ?)", [path, leaf(path)])
        return int(self.execute("SELECT id FROM keywords WHERE path = ?", [path]).fetchone()[0])

    def _forget_unused_keywords(self) -> None:
        """Keywords no photo has any more (what autocompletion offers must exist)."""
        self.execute(
            "DELETE FROM keywords WHERE NOT EXISTS (SELECT 1 FROM photo_keywords pk WHERE pk.keyword_id = keywords.id)"
        )

    # ---- sidecars and what was read ----------------------------------------------------------

    def replace_root_sidecars(self, root_id: int, found: Sequence[tuple[str, int, float]]) -> None:
        """The sidecars (path, size, mtime) a complete walk of a root saw, in one transaction."""
        with self.transaction():
            self.execute("DELETE FROM sidecars WHERE root_id = ?", [root_id])
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO sidecars (path, root_id, target, size, mtime) VALUES (?, ?, ?, ?, ?)",
                [(path_to_db(path), root_id, path_to_db(path[: -len(SIDECAR_SUFFIX)]), size, mtime) for path, size, mtime in found],
            )

    def record_sidecar(self, root_id: int | None, path: str, stat: tuple[int, float] | None) -> None:
        """A sidecar we just wrote, (size, mtime), or removed (None): the next scan will agree."""
        with self.transaction():
            self.execute("DELETE FROM sidecars WHERE path = ?", [path_to_db(path)])
            if stat is not None:
                self.execute(
                    "INSERT INTO sidecars (path, root_id, target, size, mtime) VALUES (?, ?, ?, ?, ?)",
                    [path_to_db(path), root_id, path_to_db(path[: -len(SIDECAR_SUFFIX)]), *stat],
                )

    def pending_xmp_reads(self) -> list[dict[str, Any]]:
        """Photos whose own metadata or sidecar changed since last read (or never read)."""
        columns = "p.id, p.path, p.mtime, b.path AS sidecar_path, b.size AS sidecar_size, b.mtime AS sidecar_mtime"
        return self.query(_PENDING_SQL.format(columns=columns) + " ORDER BY p.id", [OK])

    def pending_xmp_read_count(self) -> int:
        return int(self.query(_PENDING_SQL.format(columns="COUNT(*) AS n"), [OK])[0]["n"])

    def record_xmp_reads(self, reads: Sequence[dict[str, Any]]) -> None:
        """What was read per photo (keys as in ``xmp_reads``); joins the caller's transaction."""
        with self.transaction():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO xmp_reads (photo_id, photo_mtime, sidecar_path, sidecar_size, sidecar_mtime, "
                "read_at, error) VALUES (:photo_id, :photo_mtime, :sidecar_path, :sidecar_size, :sidecar_mtime, "
                ":read_at, :error)",
                reads,
            )

    def recorded_xmp_read(self, photo_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM xmp_reads WHERE photo_id = ?", [photo_id])
        return rows[0] if rows else None

    def mark_sidecar_read(self, photo_id: int, path: str | None, stat: tuple[int, float] | None) -> None:
        sidecar = (path_to_db(path), *stat) if path is not None and stat is not None else (None, None, None)
        with self.transaction():
            self.execute(
                "UPDATE xmp_reads SET sidecar_path = ?, sidecar_size = ?, sidecar_mtime = ? WHERE photo_id = ?",
                [*sidecar, photo_id],
            )

    def xmp_read_errors(self) -> list[dict[str, Any]]:
        """The live photos whose sidecar could not be read, with the reason."""
        return self.query(
            "SELECT r.photo_id, r.sidecar_path, r.error FROM xmp_reads r JOIN photos p ON p.id = r.photo_id "
            "WHERE r.error IS NOT NULL AND p.state = ? ORDER BY r.photo_id",
            [OK],
        )
