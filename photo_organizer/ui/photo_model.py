"""The grid's list model: one row per photo, with named roles, tested without widgets.

The model is a view of a ``GridContents`` (ids, scores, predicted labels, feedback marks). It
never ranks: search results arrive already ordered from the search core. Thumbnails come from
a ``ThumbnailSource`` that answers at once from memory or ``None`` while it loads the image off
the GUI thread; when it is ready the model emits ``dataChanged`` for that row (coalesced).
Paths are fetched lazily, a chunk of rows at a time, so a 100,000-row model costs nothing
until rows are looked at.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPixmap

from photo_organizer.app.types import GridContents

PATH_CHUNK = 512


PHOTO_IDS_MIME = "application/x-photo-organizer-photo-ids"  # photos dragged from the grid


def photo_ids_to_mime(photo_ids: list[int]) -> QMimeData:
    data = QMimeData()
    data.setData(PHOTO_IDS_MIME, QByteArray(",".join(map(str, photo_ids)).encode()))
    return data


def photo_ids_from_mime(data: QMimeData) -> list[int]:
    """The photos a drag from the grid carries (empty for anything else)."""
    if not data.hasFormat(PHOTO_IDS_MIME):
        return []
    text = bytes(data.data(PHOTO_IDS_MIME).data()).decode()
    return [int(part) for part in text.split(",") if part.isdigit()]


class Roles(IntEnum):
    PhotoId = Qt.ItemDataRole.UserRole + 1
    Path = Qt.ItemDataRole.UserRole + 2
    Thumbnail = Qt.ItemDataRole.UserRole + 3
    Score = Qt.ItemDataRole.UserRole + 4
    Feedback = Qt.ItemDataRole.UserRole + 5  # +1 liked, -1 disliked, 0 unrated
    Predicted = Qt.ItemDataRole.UserRole + 6  # +1 / -1 from the feedback predictor, 0 none
    Curation = Qt.ItemDataRole.UserRole + 7  # curation.model.Curation: stars, label, favourite...
    StackSize = Qt.ItemDataRole.UserRole + 8  # photos in the stack this tile stands for; 0 none
    IsNew = Qt.ItemDataRole.UserRole + 9  # a taught album's newcomer, not confirmed yet
    IsBest = Qt.ItemDataRole.UserRole + 10  # the best shot, in its stack's view
    Offline = Qt.ItemDataRole.UserRole + 11  # True: its folder cannot be reached now
    Header = Qt.ItemDataRole.UserRole + 12  # a day header row's text; None on photo rows
    Relevance = Qt.ItemDataRole.UserRole + 20  # 0..1 among the photos searched, search only


ROLE_NAMES = {
    Roles.PhotoId: b"photoId",
    Roles.Path: b"path",
    Roles.Thumbnail: b"thumbnail",
    Roles.Score: b"score",
    Roles.Feedback: b"feedback",
    Roles.Predicted: b"predicted",
    Roles.Curation: b"curation",
    Roles.StackSize: b"stackSize",
    Roles.IsNew: b"isNew",
    Roles.IsBest: b"isBest",
    Roles.Relevance: b"relevance",
    Roles.Offline: b"offline",
    Roles.Header: b"header",
}

PREDICTED_TIP = "Green bar: from your likes and dislikes, you will probably like this photo"


class ThumbnailSource(Protocol):
    ready: Signal  # Signal(int): photo id whose thumbnail just arrived

    def pixmap(self, photo_id: int) -> QPixmap | None: ...


PathLookup = Callable[[list[int]], dict[int, str]]
CurationLookup = Callable[[list[int]], dict[int, Any]]  # photo id -> Curation
OfflineLookup = Callable[[list[int]], set[int]]  # those of the ids whose folder is offline


class PhotoListModel(QAbstractListModel):
    def __init__(
        self,
        thumbnails: ThumbnailSource | None,
        paths: PathLookup,
        parent: QObject | None = None,
        curations: CurationLookup | None = None,
        offline: OfflineLookup | None = None,
    ) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._path_lookup = paths
        self._curation_lookup = curations
        self._curations: dict[int, Any] = {}  # loaded a chunk of rows at a time, like paths
        self._curation_chunks_loaded: set[int] = set()
        self._offline_lookup = offline
        self._offline: set[int] = set()  # of the rows whose paths are loaded
        self._contents = GridContents(np.zeros(0, dtype=np.int64))
        self._row_of: dict[int, int] | None = None
        self._paths: dict[int, str] = {}
        self._path_chunks_loaded: set[int] = set()
        self._changed_rows: set[int] = set()
        # Timeline views: a header row before each day. Rows of headers, and the photo index
        # where each day starts; a row is then found by binary search (no per-row table).
        self._header_rows = np.zeros(0, dtype=np.int64)
        self._section_starts = np.zeros(0, dtype=np.int64)
        self._row_count = 0
        self._all_rows = 0
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(30)
        self._flush_timer.timeout.connect(self._flush_thumbnail_changes)
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnail_ready)

    # ---- contents ---------------------------------------------------------------------------

    @property
    def contents(self) -> GridContents:
        return self._contents

    def set_contents(self, contents: GridContents, first_rows: int | None = None) -> None:
        """Show ``contents``. ``first_rows``: only the first days' rows (that many, to the end of
        a day) until ``show_all_rows``, so the grid lays out a first screen, not 100,000 rows."""
        self.beginResetModel()
        self._contents = contents
        sections = contents.sections or []
        self._section_starts = np.array([start for start, _, _ in sections], dtype=np.int64)
        self._header_rows = self._section_starts + np.arange(len(sections), dtype=np.int64)
        self._all_rows = len(contents) + len(sections)
        self._row_count = self._all_rows if first_rows is None else self._whole_days_from(first_rows)
        self._row_of = None
        self._paths.clear()
        self._offline.clear()
        self._path_chunks_loaded.clear()
        self._curations.clear()
        self._curation_chunks_loaded.clear()
        self._changed_rows.clear()
        self.endResetModel()

    def refresh_curation(self, photo_ids: list[int]) -> None:
        """These photos' ratings, labels or favourites changed: read them again and repaint."""
        if self._curation_lookup is None:
            return
        rows = {pid: self.row_of(pid) for pid in photo_ids}
        shown = {pid: row for pid, row in rows.items() if row is not None}
        self._curations.update(self._curation_lookup(list(shown)))
        for row in shown.values():
            index = self.index(row)
            self.dataChanged.emit(index, index, [Roles.Curation])

    def set_section_titles(self, contents: GridContents) -> None:
        """The same photos and days with other header texts (a timeline's places, read after the
        first paint): the headers repaint, nothing moves."""
        self._contents = contents
        shown = self._header_rows[self._header_rows < self._row_count]
        if len(shown):
            first, last = self.index(int(shown[0])), self.index(int(shown[-1]))
            self.dataChanged.emit(first, last, [Roles.Header, Qt.ItemDataRole.DisplayRole])

    def _whole_days_from(self, rows: int) -> int:
        """The rows up to the first day header at or after ``rows`` (all of them when none)."""
        position = int(np.searchsorted(self._header_rows, rows, side="left"))
        return int(self._header_rows[position]) if position < len(self._header_rows) else self._all_rows

    def all_rows_shown(self) -> bool:
        return self._row_count == self._all_rows

    def show_all_rows(self) -> None:
        """The rows ``set_contents`` held back, appended (what is on screen stays where it is)."""
        if self._row_count < self._all_rows:
            self.beginInsertRows(QModelIndex(), self._row_count, self._all_rows - 1)
            self._row_count = self._all_rows
            self.endInsertRows()

    def photo_id(self, row: int) -> int:
        """The photo on this row; -1 on a day header row."""
        index = self.photo_index(row)
        return -1 if index is None else int(self._contents.photo_ids[index])

    def is_header(self, row: int) -> bool:
        return self.photo_index(row) is None

    def has_sections(self) -> bool:
        return len(self._header_rows) > 0

    def header_rows(self) -> frozenset[int]:
        return frozenset(self._header_rows.tolist())

    def section(self, row: int) -> tuple[int, str, str] | None:
        """(first photo index, day, header text) of the day this row belongs to (the sticky header)."""
        sections = self._contents.sections
        position = int(np.searchsorted(self._header_rows, row, side="right")) - 1
        return sections[position] if sections and position >= 0 else None

    def section_title(self, row: int) -> str | None:
        section = self.section(row)
        return section[2] if section else None

    def row_of_index(self, index: int) -> int:
        """The row showing ``contents.photo_ids[index]``."""
        return index + int(np.searchsorted(self._section_starts, index, side="right"))

    def photo_index(self, row: int) -> int | None:
        """Where this row's photo is in ``contents.photo_ids``; None on a day header row."""
        if not len(self._header_rows):
            return row
        before = int(np.searchsorted(self._header_rows, row, side="right"))
        if before and self._header_rows[before - 1] == row:
            return None
        return row - before

    def photo_ids(self) -> list[int]:
        return self._contents.photo_ids.tolist()

    def row_of(self, photo_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {int(pid): index for index, pid in enumerate(self._contents.photo_ids)}
        index = self._row_of.get(photo_id)
        return None if index is None else self.row_of_index(index)

    def label_of(self, photo_id: int) -> int:
        return self._contents.labels.get(photo_id, 0)

    def set_label(self, photo_id: int, label: int) -> None:
        """Show a like (+1), dislike (-1) or clear (0) mark; the search core holds the truth."""
        if label:
            self._contents.labels[photo_id] = label
        else:
            self._contents.labels.pop(photo_id, None)
        row = self.row_of(photo_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Roles.Feedback])

    # ---- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._row_count  # Qt asks once per row while laying out

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(role): QByteArray(name) for role, name in ROLE_NAMES.items()})
        return names

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self.is_header(index.row()):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [PHOTO_IDS_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        rows = sorted({index.row() for index in indexes if index.isValid()})
        return photo_ids_to_mime([self.photo_id(row) for row in rows if not self.is_header(row)])

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row = self.photo_index(index.row())
        if row is None:
            return self.section_title(index.row()) if role in (Roles.Header, Qt.ItemDataRole.DisplayRole) else None
        if role == Roles.Header:
            return None
        photo_id = int(self._contents.photo_ids[row])
        if role == Roles.PhotoId:
            return photo_id
        if role == Roles.Thumbnail:
            return self._thumbnails.pixmap(photo_id) if self._thumbnails is not None else None
        if role == Roles.Score:
            return self._score(row)
        if role == Roles.Relevance:
            return self._relevance(row)
        if role == Roles.Feedback:
            return self._contents.labels.get(photo_id, 0)
        if role == Roles.Predicted:
            predicted = self._contents.predicted
            return int(predicted[row]) if predicted is not None else 0
        if role == Roles.StackSize:
            return self._contents.stack_sizes.get(photo_id, 0)
        if role == Roles.IsNew:
            return photo_id in self._contents.new_ids
        if role == Roles.IsBest:
            return photo_id == self._contents.best_id
        if role == Roles.Path:
            return self._path(row)
        if role == Roles.Curation:
            return self._curation(row)
        if role == Roles.Offline:
            self._path(row)  # loads the chunk's offline flags too
            return photo_id in self._offline
        if role == Qt.ItemDataRole.DisplayRole:
            path = self._path(row)
            return os.path.basename(path) if path else str(photo_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        return None

    # ---- helpers ----------------------------------------------------------------------------

    def _score(self, row: int) -> float | None:
        scores = self._contents.scores
        if scores is None:
            return None
        value = float(scores[row])
        return None if math.isnan(value) else value

    def _relevance(self, row: int) -> float | None:
        relevance = self._contents.relevance
        return float(relevance[row]) if relevance is not None else None

    def _path(self, row: int) -> str | None:
        chunk = row // PATH_CHUNK
        if chunk not in self._path_chunks_loaded and self._offline_lookup is not None:
            ids = self._contents.photo_ids[chunk * PATH_CHUNK : (chunk + 1) * PATH_CHUNK].tolist()
            self._offline.update(self._offline_lookup(ids))
        self._load_chunk(row, self._path_chunks_loaded, self._paths, self._path_lookup)
        return self._paths.get(int(self._contents.photo_ids[row]))

    def _curation(self, row: int) -> Any:
        if self._curation_lookup is None:
            return None
        self._load_chunk(row, self._curation_chunks_loaded, self._curations, self._curation_lookup)
        return self._curations.get(int(self._contents.photo_ids[row]))

    def _load_chunk(self, row: int, loaded: set[int], values: dict[int, Any], lookup: Callable[[list[int]], dict[int, Any]]) -> None:
        """Look up the values of the rows around ``row``, once per chunk of rows."""
        chunk = row // PATH_CHUNK
        if chunk not in loaded:
            values.update(lookup(self._contents.photo_ids[chunk * PATH_CHUNK : (chunk + 1) * PATH_CHUNK].tolist()))
            loaded.add(chunk)

    def _tooltip(self, row: int) -> str:
        lines = [self._path(row) or ""]
        if int(self._contents.photo_ids[row]) in self._offline:
            lines.append("offline: its folder cannot be reached now (the photo stays in the library)")
        relevance = self._relevance(row)
        if relevance is not None:
            lines.append(f"Relevance {relevance:.0%}: a better match than {relevance:.0%} of the photos searched")
        predicted = self._contents.predicted
        if predicted is not None and predicted[row] == 1:
            lines.append(PREDICTED_TIP)
        label = self._contents.labels.get(int(self._contents.photo_ids[row]), 0)
        if label:
            lines.append("liked" if label > 0 else "disliked")
        return "\n".join(lines)

    def _on_thumbnail_ready(self, photo_id: int) -> None:
        row = self.row_of(photo_id)
        if row is None or row >= self._row_count:
            return
        self._changed_rows.add(row)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush_thumbnail_changes(self) -> None:
        rows, self._changed_rows = sorted(self._changed_rows), set()
        if not rows:
            return
        # One signal per contiguous run of rows keeps the repaint cheap.
        start = previous = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            self.dataChanged.emit(self.index(start), self.index(previous), [Roles.Thumbnail])
            if row is not None:
                start = previous = row
