"""Consistency repairs the index run makes: rows that point at nothing, album sizes that
disagree with their members (left by versions whose writes were not grouped)."""

from __future__ import annotations

from photo_organizer.storage.database import Database

# name -> statement removing rows whose owner is gone; each reports how many rows it removed.
_ORPHAN_DELETES = {
    "album members of deleted albums": "DELETE FROM album_members WHERE album_id NOT IN (SELECT id FROM albums)",
    "album members of deleted photos": "DELETE FROM album_members WHERE photo_id NOT IN (SELECT id FROM photos)",
    "exclusions of deleted albums": "DELETE FROM album_exclusions WHERE album_id NOT IN (SELECT id FROM albums)",
    "exclusions of deleted photos": "DELETE FROM album_exclusions WHERE photo_id NOT IN (SELECT id FROM photos)",
    "marks of deleted photos": "DELETE FROM feedback WHERE photo_id NOT IN (SELECT id FROM photos)",
    "marks of deleted searches": "DELETE FROM feedback WHERE session_id NOT IN (SELECT id FROM search_sessions)",
    "embeddings of deleted photos": "DELETE FROM embeddings WHERE photo_id NOT IN (SELECT id FROM photos)",
    "curation of deleted photos": "DELETE FROM curation WHERE photo_id NOT IN (SELECT id FROM photos)",
    "keywords of deleted photos": "DELETE FROM photo_keywords WHERE photo_id NOT IN (SELECT id FROM photos)",
    "metadata reads of deleted photos": "DELETE FROM xmp_reads WHERE photo_id NOT IN (SELECT id FROM photos)",
}
_WRONG_SIZES = (
    "UPDATE albums SET size = (SELECT COUNT(*) FROM album_members m WHERE m.album_id = albums.id) "
    "WHERE size IS NOT (SELECT COUNT(*) FROM album_members m WHERE m.album_id = albums.id)"
)


class MaintenanceStore(Database):
    def check_and_repair(self) -> dict[str, int]:
        """Remove rows that point at deleted albums, photos or searches and set every album's
        size to its member count, in one transaction. Returns what was repaired (name -> rows),
        only the non-zero entries: an empty dict means the library was consistent."""
        repaired: dict[str, int] = {}
        with self.transaction():
            for name, sql in _ORPHAN_DELETES.items():
                repaired[name] = self.execute(sql).rowcount
            repaired["album sizes"] = self.execute(_WRONG_SIZES).rowcount
        return {name: count for name, count in repaired.items() if count > 0}
