"""Curation widgets: the keyword dialog (autocomplete, hierarchical paths), the viewer's
curation panel, and the grid header's filter button. They show and ask; the window edits
through ``CurationService``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.curation_service import LABELS, MAX_STARS, Curation
from photo_organizer.app.types import STAR, CurationFilter
from photo_organizer.ui.curation_badges import STAR_COLOUR

NO_LABEL = "No label"


Completions = Callable[[str], list[str]]  # typed text -> keyword paths


def keyword_field(completions: Completions, placeholder: str = "Trips/2019/Lyon") -> QLineEdit:
    """A line edit completing known keyword paths that start with the typed text, or whose
    last part does ("lyo" offers "Trips/2019/Lyon"); the library answers as the user types."""
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    model = QStringListModel(field)
    completer = QCompleter(model, field)
    completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
    field.setCompleter(completer)

    def offer(text: str) -> None:
        model.setStringList(completions(text) if text.strip() else [])
        completer.setCompletionPrefix(text)
        if model.rowCount():
            completer.complete()

    field.textEdited.connect(offer)
    return field


class KeywordDialog(QDialog):
    """Add a keyword to the selected photos, or remove one they have."""

    def __init__(self, photo_count: int, completions: Completions, present: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keywords")
        self.setMinimumWidth(440)
        self.field = keyword_field(completions)
        self.remove_box = QComboBox()
        self.remove_box.addItem("—", None)
        for keyword in present:
            self.remove_box.addItem(keyword, keyword)
        self.remove_box.setEnabled(bool(present))
        form = QFormLayout()
        form.addRow(QLabel(f"{photo_count:,} photo{'s' if photo_count != 1 else ''}; a \"/\" makes a hierarchy."))
        form.addRow("Add keyword", self.field)
        form.addRow("Remove keyword", self.remove_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def keyword_to_add(self) -> str:
        return self.field.text().strip()

    def keyword_to_remove(self) -> str | None:
        return self.remove_box.currentData()


class CurationPanel(QWidget):
    """The viewer's curation of the shown photo: stars, reject, label, favourite, keywords,
    caption. Each control emits ``edited(field, value)``; ``show_curation`` refreshes it."""

    edited = Signal(str, object)  # field ("rating", "reject", "label", "favourite", "keyword", "caption"), value

    def __init__(self, completions: Completions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        stars = QHBoxLayout()
        stars.setSpacing(0)
        self.star_buttons: list[QToolButton] = []
        for count in range(1, MAX_STARS + 1):
            button = QToolButton()
            button.setAutoRaise(True)
            button.setToolTip(f"{count} star{'s' if count > 1 else ''} (key {count}); click again for none")
            button.clicked.connect(lambda _=False, c=count: self.edited.emit("rating", 0 if self._rating == c else c))
            stars.addWidget(button)
            self.star_buttons.append(button)
        self.reject_button = QToolButton()
        self.reject_button.setText("\u2715")
        self.reject_button.setToolTip("Reject (X)")
        self.reject_button.setCheckable(True)
        self.reject_button.clicked.connect(lambda: self.edited.emit("reject", None))
        stars.addSpacing(8)
        stars.addWidget(self.reject_button)
        stars.addStretch(1)
        self.favourite_button = QPushButton()
        self.favourite_button.setCheckable(True)
        self.favourite_button.clicked.connect(lambda: self.edited.emit("favourite", None))
        self.label_box = QComboBox()
        self.label_box.addItem(NO_LABEL, None)
        for number, label in enumerate(LABELS, start=6):
            self.label_box.addItem(f"{label} ({number})" if number <= 9 else label, label)
        self.label_box.activated.connect(lambda _i: self.edited.emit("label", self.label_box.currentData()))
        self.keywords = QLabel()
        self.keywords.setWordWrap(True)
        self.keyword_field = keyword_field(completions, "add a keyword…")
        self.keyword_field.returnPressed.connect(self._add_keyword)
        self.caption = QLineEdit()
        self.caption.setPlaceholderText("a caption…")
        self.caption.editingFinished.connect(self._caption_done)
        for widget in (self.favourite_button, self.label_box, self.keyword_field, self.caption, *self.star_buttons, self.reject_button):
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # arrow and letter keys stay with the viewer
        form = QFormLayout(self)
        form.setContentsMargins(0, 8, 0, 0)
        form.addRow("Rating", stars)
        form.addRow("Favourite", self.favourite_button)
        form.addRow("Label", self.label_box)
        form.addRow("Keywords", self.keywords)
        form.addRow("", self.keyword_field)
        form.addRow("Caption", self.caption)
        self._rating = 0
        self._caption_text = ""

    def show_curation(self, curation: Curation) -> None:
        self._rating = curation.rating if curation.rating and curation.rating > 0 else 0
        for count, button in enumerate(self.star_buttons, start=1):
            filled = count <= self._rating
            button.setText(STAR if filled else "\u2606")
            button.setStyleSheet(f"color: {STAR_COLOUR.name()}; font-size: 16px" if filled else "font-size: 16px")
        self.reject_button.setChecked(curation.rejected)
        self.favourite_button.setChecked(curation.favourite)
        self.favourite_button.setText("\u2665 Favourite (F)" if curation.favourite else "\u2661 Not a favourite (F)")
        self.label_box.setCurrentIndex(max(0, self.label_box.findData(curation.label)))
        self.keywords.setText(", ".join(curation.keywords) or "—")
        self._caption_text = curation.caption or ""
        if not self.caption.hasFocus():
            self.caption.setText(self._caption_text)

    def _add_keyword(self) -> None:
        keyword = self.keyword_field.text().strip()
        if keyword:
            self.keyword_field.clear()
            self.edited.emit("keyword", keyword)

    def _caption_done(self) -> None:
        text = self.caption.text().strip()
        if text != self._caption_text:
            self._caption_text = text
            self.edited.emit("caption", text)


class FilterButton(QToolButton):
    """"Filter" in the grid header: minimum rating, colour label, favourites only. Applies to
    browsing and to searches (with their text and marks)."""

    changed = Signal(object)  # CurationFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Show only photos with a rating, a colour label, or your favourites")
        self.current = CurationFilter()
        menu = QMenu(self)
        rating = menu.addMenu("Rating")
        for stars in range(0, MAX_STARS + 1):
            text = "Any rating" if stars == 0 else f"{STAR * stars} or more"
            rating.addAction(text, lambda s=stars: self.set_filter(min_rating=s or None))
        labels = menu.addMenu("Colour label")
        labels.addAction("Any label", lambda: self.set_filter(label=None))
        for label in LABELS:
            labels.addAction(label, lambda lab=label: self.set_filter(label=lab))
        self.favourites_action = menu.addAction("Favourites only")
        self.favourites_action.setCheckable(True)
        self.favourites_action.toggled.connect(lambda on: self.set_filter(favourites=on))
        menu.addSeparator()
        menu.addAction("Clear filters", self.clear)
        self.setMenu(menu)
        self._show()

    def set_filter(self, **changes: object) -> None:
        wanted = replace(self.current, **changes)
        if wanted != self.current:
            self.current = wanted
            self._show()
            self.changed.emit(wanted)

    def clear(self) -> None:
        self.favourites_action.blockSignals(True)
        self.favourites_action.setChecked(False)
        self.favourites_action.blockSignals(False)
        self.set_filter(min_rating=None, label=None, favourites=False)

    def _show(self) -> None:
        self.setText(f"Filter: {self.current.describe()}" if self.current.active else "Filter")
