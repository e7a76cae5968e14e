"""Curation for the window: ratings, reject, colour labels, keywords, captions and favourites
on one photo or a selection, with undo of the last edit, and the views and filters they give.

Qt-free (tested without widgets). Every edit goes through ``curation.edits``, so the library and
the XMP sidecars change together, exactly as with the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from photo_organizer.app.timeline import kept_sections
from photo_organizer.app.types import FAVOURITES, STAR, CurationFilter, GridContents, Source
from photo_organizer.curation import edits
from photo_organizer.curation.model import LABELS, MAX_STARS, REJECTED, Curation, KeywordNode, keyword_tree
from photo_organizer.storage import Library

__all__ = ["LABELS", "LABEL_KEYS", "MAX_STARS", "Curation", "CurationService", "SidecarWriteWarning", "keyword_source"]

# What each field's edit is called in a status message and in "Undo …".
_FIELD_WORDS = {"rating": "rating", "label": "colour label", "caption": "caption", "favourite": "favourite", "keywords": "keywords"}


class CurationService:
    """The user's curation edits and the last one's undo record (one level, like the CLI's)."""

    def __init__(self, library: Callable[[], Library]) -> None:
        self._library = library  # the GUI thread's connection, fetched at each call
        self._last: edits.Undo | None = None
        self.changed: list[int] = []  # the photos the last edit or undo changed (what to repaint)

    @property
    def library(self) -> Library:
        return self._library()

    # ---- reading ----------------------------------------------------------------------------

    def curations(self, photo_ids: Sequence[int]) -> dict[int, Curation]:
        return self.library.curations(list(photo_ids))

    def keyword_tree(self) -> tuple[KeywordNode, ...]:
        return keyword_tree(self.library.keyword_photos())

    def keyword_completions(self, typed: str, limit: int = 20) -> list[str]:
        return self.library.keyword_completions(typed, limit)

    def favourite_count(self) -> int:
        return len(self.library.favourite_photo_ids())

    def favourites(self) -> GridContents:
        return GridContents(np.asarray(self.library.favourite_photo_ids(), dtype=np.int64), title=FAVOURITES.title)

    def keyword_contents(self, path: str) -> GridContents:
        """Photos with this keyword or one below it, newest first."""
        newest_first = np.asarray(self.library.photos_newest_first(), dtype=np.int64)
        tagged = np.asarray(self.library.filtered_photo_ids(keyword=path), dtype=np.int64)
        return GridContents(newest_first[np.isin(newest_first, tagged)], title=path)

    def filtered(self, contents: GridContents, wanted: CurationFilter) -> GridContents:
        """The same view keeping only the photos that pass the filter, in the same order."""
        if not wanted.active:
            return contents
        allowed = np.asarray(
            self.library.filtered_photo_ids(
                min_rating=wanted.min_rating, label=wanted.label, favourites=wanted.favourites or None
            ),
            dtype=np.int64,
        )
        keep = np.isin(contents.photo_ids, allowed)
        return GridContents(
            contents.photo_ids[keep],
            scores=contents.scores[keep] if contents.scores is not None else None,
            predicted=contents.predicted[keep] if contents.predicted is not None else None,
            labels=contents.labels,
            title=contents.title,
            search_round=contents.search_round,
            group_count=contents.group_count,
            hidden_count=contents.hidden_count,
            stack_sizes=contents.stack_sizes,
            sections=kept_sections(contents.sections, keep),  # days left without a photo lose their header
        )

    # ---- edits (each returns what happened, in the user's words) -----------------------------

    def rate(self, photo_ids: Sequence[int], stars: int) -> str:
        self._remember(edits.rate(self.library, photo_ids, stars or None))
        what = f"{STAR * stars}" if stars else "no rating"
        return f"{_photos(photo_ids)}: {what}"

    def toggle_reject(self, photo_ids: Sequence[int]) -> str:
        """Reject the photos; when all of them are rejected already, take the reject back."""
        rejected = all(c.rejected for c in self.curations(photo_ids).values())
        self._remember(edits.rate(self.library, photo_ids, None if rejected else REJECTED))
        return f"{_photos(photo_ids)}: {'no longer rejected' if rejected else 'rejected'}"

    def set_label(self, photo_ids: Sequence[int], label: str | None) -> str:
        """A colour label; the same label again (on all of them) takes it off."""
        current = {c.label for c in self.curations(photo_ids).values()}
        if label is not None and current == {label}:
            label = None
        self._remember(edits.set_label(self.library, photo_ids, label))
        return f"{_photos(photo_ids)}: {label + ' label' if label else 'no colour label'}"

    def toggle_favourite(self, photo_ids: Sequence[int]) -> str:
        """Favourite; when all of them are favourites already, no longer."""
        favourite = not all(c.favourite for c in self.curations(photo_ids).values())
        self._remember(edits.set_favourite(self.library, photo_ids, favourite))
        return f"{_photos(photo_ids)}: {'added to' if favourite else 'removed from'} favourites"

    def add_keyword(self, photo_ids: Sequence[int], keyword: str) -> str:
        self._remember(edits.add_keyword(self.library, photo_ids, keyword))
        return f"{_photos(photo_ids)}: keyword {keyword.strip()} added"

    def remove_keyword(self, photo_ids: Sequence[int], keyword: str) -> str:
        self._remember(edits.remove_keyword(self.library, photo_ids, keyword))
        return f"{_photos(photo_ids)}: keyword {keyword.strip()} removed"

    def set_caption(self, photo_ids: Sequence[int], caption: str) -> str:
        self._remember(edits.set_caption(self.library, photo_ids, caption))
        return f"{_photos(photo_ids)}: caption {'set' if caption.strip() else 'removed'}"

    def undo_description(self) -> str | None:
        """"Undo rating" and the like; None when there is nothing to undo."""
        return None if self._last is None else f"Undo {_FIELD_WORDS.get(self._last.field, self._last.field)}"

    def undo(self) -> str | None:
        """Put back the values the last edit changed; None when there was nothing to undo."""
        if self._last is None:
            return None
        record, self._last = self._last, None
        edits.undo(self.library, record)
        self.changed = list(record.previous)
        return f"Undone: {_FIELD_WORDS.get(record.field, record.field)} of {_photos(list(record.previous))}"

    def _remember(self, record: edits.Undo) -> None:
        self._last = record
        self.changed = list(record.previous)
        if record.sidecar_errors:
            path, reason = next(iter(record.sidecar_errors.items()))
            raise SidecarWriteWarning(f"Saved in the library, but the sidecar {path} could not be written: {reason}")


class SidecarWriteWarning(Exception):
    """The edit is saved (and can be undone); only its XMP sidecar could not be written."""


LABEL_KEYS = dict(zip("6789", LABELS))  # Lightroom's keys: 6 red, 7 yellow, 8 green, 9 blue


def keyword_source(path: str) -> Source:
    return Source("keyword", title=path)


def _photos(photo_ids: Sequence[int]) -> str:
    count = len(set(photo_ids))
    return "1 photo" if count == 1 else f"{count:,} photos"
