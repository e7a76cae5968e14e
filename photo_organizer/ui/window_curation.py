"""Curating photos in the main window: stars (0-5), reject (X), colour labels (6-9), the
favourite heart (F), keywords (K) and captions, on the selection or the viewer's photo, with
Undo (Ctrl+Z) of the last edit; the Filter button; the Favourites and Keywords sidebar entries."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QInputDialog, QMenu

from photo_organizer.app.curation_service import LABEL_KEYS, LABELS, MAX_STARS, SidecarWriteWarning
from photo_organizer.app.types import CurationFilter
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.ui.curation_widgets import FilterButton, KeywordDialog


class WindowCuration:
    """Mixin of ``MainWindow``: curation actions, their menu, the filter, and refreshing what shows them."""

    def _build_curation(self) -> None:
        self.rating_actions = [
            self._action(f"{count} star{'s' if count != 1 else ''}" if count else "No rating",
                         lambda c=count: self.curate_selection("rating", c), str(count), grid_only=True)
            for count in range(0, MAX_STARS + 1)
        ]
        self.reject_action = self._action("&Reject", lambda: self.curate_selection("reject", None), "X", grid_only=True)
        self.label_actions = [
            self._action(label, lambda lab=label: self.curate_selection("label", lab), key, grid_only=True)
            for key, label in LABEL_KEYS.items()
        ] + [self._action(label, lambda lab=label: self.curate_selection("label", lab)) for label in LABELS[len(LABEL_KEYS):]]
        self.favourite_action = self._action("&Favourite", lambda: self.curate_selection("favourite", None), "F", grid_only=True)
        self.keywords_action = self._action("&Keywords…", self.edit_keywords, "K", grid_only=True)
        self.caption_action = self._action("&Caption…", self.edit_caption, "E", grid_only=True)  # C confirms in a taught album
        self.undo_action = self._action("&Undo", self.undo_curation, QKeySequence.StandardKey.Undo)
        self.undo_action.setEnabled(False)

        menu = QMenu("&Curate", self)
        menu.addAction(self.undo_action)
        menu.addSeparator()
        self._add_curation_actions(menu)
        self.menuBar().insertMenu(self.menuBar().actions()[-1], menu)  # before Help
        self.curate_menu = menu

        self.filter_button = FilterButton()
        self.filter_button.changed.connect(self._on_filter_changed)
        self.header_layout.insertWidget(self.header_layout.indexOf(self.sort_box), self.filter_button)

    def _add_curation_actions(self, menu: QMenu) -> None:
        rating = menu.addMenu("Rating")
        for action in self.rating_actions:
            rating.addAction(action)
        menu.addAction(self.reject_action)
        labels = menu.addMenu("Colour label")
        for action in self.label_actions:
            labels.addAction(action)
        menu.addAction(self.favourite_action)
        menu.addAction(self.keywords_action)
        menu.addAction(self.caption_action)

    @property
    def curation_filter(self) -> CurationFilter:
        return self.filter_button.current

    # ---- edits ------------------------------------------------------------------------------

    def _selected_ids(self) -> list[int]:
        return self.grid.selected_photo_ids() or ([pid] if (pid := self._current_photo_id()) is not None else [])

    def curate_selection(self, field: str, value: object) -> None:
        self.curate(self._selected_ids(), field, value)

    def curate(self, photo_ids: list[int], field: str, value: object) -> None:
        """One edit on these photos: ``field`` is rating, reject, label, favourite, keyword,
        remove-keyword or caption (reject and favourite toggle)."""
        if not photo_ids:
            self.statusBar().showMessage("Select photos first.", 4000)
            return
        curation = self.backend.curation
        edits: dict[str, Callable[[], str]] = {
            "rating": lambda: curation.rate(photo_ids, int(value or 0)),
            "reject": lambda: curation.toggle_reject(photo_ids),
            "label": lambda: curation.set_label(photo_ids, value),
            "favourite": lambda: curation.toggle_favourite(photo_ids),
            "keyword": lambda: curation.add_keyword(photo_ids, str(value)),
            "remove-keyword": lambda: curation.remove_keyword(photo_ids, str(value)),
            "caption": lambda: curation.set_caption(photo_ids, str(value or "")),
        }
        self._run_curation(edits[field])

    def undo_curation(self) -> None:
        self._run_curation(self.backend.curation.undo)

    def _run_curation(self, edit: Callable[[], str | None]) -> None:
        try:
            message = edit()
        except SidecarWriteWarning as warning:
            message = str(warning)
        except PhotoOrganizerError as error:
            self.show_error("That did not work", str(error))
            return
        if message:
            self.statusBar().showMessage(message, 6000)
        self._after_curation()

    def _after_curation(self) -> None:
        self.model.refresh_curation(self.backend.curation.changed)
        undo = self.backend.curation.undo_description()
        self.undo_action.setEnabled(undo is not None)
        self.undo_action.setText(f"{undo} (Ctrl+Z)" if undo else "&Undo")
        self._refresh_curation_sidebar()
        if self._viewer is not None:
            self._viewer.refresh_marks()

    def edit_keywords(self) -> None:
        photo_ids = self._selected_ids()
        if not photo_ids:
            self.statusBar().showMessage("Select photos first.", 4000)
            return
        curation = self.backend.curation
        present = sorted({k for c in curation.curations(photo_ids).values() for k in c.keywords}, key=str.lower)
        dialog = KeywordDialog(len(photo_ids), curation.keyword_completions, present, self)
        self.keyword_dialog = dialog

        def done(result: int) -> None:
            self.keyword_dialog = None
            if result != QDialog.DialogCode.Accepted:
                return
            if dialog.keyword_to_remove():
                self.curate(photo_ids, "remove-keyword", dialog.keyword_to_remove())
            if dialog.keyword_to_add():
                self.curate(photo_ids, "keyword", dialog.keyword_to_add())

        dialog.finished.connect(done)
        dialog.open()

    def edit_caption(self) -> None:
        photo_ids = self._selected_ids()
        if not photo_ids:
            return
        current = {c.caption or "" for c in self.backend.curation.curations(photo_ids).values()}
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Caption")
        dialog.setLabelText(f"Caption of {len(photo_ids):,} photo{'s' if len(photo_ids) != 1 else ''}:")
        dialog.setTextValue(current.pop() if len(current) == 1 else "")
        dialog.textValueSelected.connect(lambda text: self.curate(photo_ids, "caption", text))
        dialog.open()

    def _context_curation_menu(self, menu: QMenu) -> None:
        menu.addSeparator()
        self._add_curation_actions(menu.addMenu("Curate"))
        menu.addAction(self.favourite_action)

    # ---- what shows curation ------------------------------------------------------------------

    def _refresh_curation_sidebar(self) -> None:
        curation = self.backend.curation
        self.sidebar.set_favourites_count(curation.favourite_count())
        self.sidebar.set_keywords(curation.keyword_tree())

    def _on_filter_changed(self, wanted: CurationFilter) -> None:
        if self.search.active:
            self.search.set_filters(wanted)
        else:
            self.show_source(self._source)
