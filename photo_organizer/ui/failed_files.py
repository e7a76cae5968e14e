"""The "Could not read" page: each file the library could not read, with the reason, and what
the user can do about it (look at it in its folder, try again once it is fixed)."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.types import FailedFile

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class FailedFilesPage(QWidget):
    showInFolderRequested = Signal(str)  # path
    retryRequested = Signal(list)  # photo ids

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Could not read")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["File", "Folder", "Reason"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long folders keep both ends
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 360)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self._show_in_folder())
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.clicked.connect(self._show_in_folder)
        self.retry_button = QPushButton("Try again")
        self.retry_button.setToolTip("Read the selected files again (all of them when none is selected)")
        self.retry_button.clicked.connect(self._retry)
        buttons = QHBoxLayout()
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.explanation)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._files: list[FailedFile] = []

    def set_files(self, files: list[FailedFile]) -> None:
        self._files = files
        self.title.setText(f"Could not read ({len(files):,})")
        self.explanation.setText(
            "These files are in your folders but could not be read, so they are not in the library. "
            "Fix a file (permissions, a complete copy, a format Photo Organizer reads) and choose "
            "Try again; a file whose permissions or content change is also tried again at the next rescan."
            if files
            else "Every file in your folders could be read."
        )
        self.table.setRowCount(len(files))
        for row, failed in enumerate(files):
            folder, name = os.path.split(failed.path)
            cells = [QTableWidgetItem(name), QTableWidgetItem(folder), QTableWidgetItem(failed.reason)]
            cells[0].setData(ID_ROLE, failed.photo_id)
            for column, cell in enumerate(cells):
                cell.setToolTip(failed.path if column < 2 else failed.reason)
                self.table.setItem(row, column, cell)
        self._update_buttons()

    def rows(self) -> list[tuple[str, str, str]]:
        """What the table shows (file, folder, reason), top to bottom."""
        return [tuple(self.table.item(row, column).text() for column in range(3)) for row in range(self.table.rowCount())]  # type: ignore[misc]

    def _selected(self) -> list[FailedFile]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._files[row] for row in rows]

    def _update_buttons(self) -> None:
        selected = self._selected()
        self.folder_button.setEnabled(len(selected) == 1)
        self.retry_button.setEnabled(bool(self._files))
        self.retry_button.setText(f"Try again ({len(selected):,} selected)" if selected else "Try again (all)")

    def _show_in_folder(self) -> None:
        selected = self._selected()
        if len(selected) == 1:
            self.showInFolderRequested.emit(selected[0].path)

    def _retry(self) -> None:
        selected = self._selected() or self._files
        if selected:
            self.retryRequested.emit([failed.photo_id for failed in selected])
