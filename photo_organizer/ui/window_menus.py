"""The main window's menu bar and its actions (shortcuts, Help texts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox

from photo_organizer import __version__
from photo_organizer.app.types import REVIEW
from photo_organizer.ui.theme import THEMES


class WindowMenus:
    """Mixin of ``MainWindow``: builds the menus; the slots live in the other window mixins."""

    def _action(self, text: str, slot: Callable[[], Any], shortcut: QKeySequence | str | None = None, *, grid_only: bool = False) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if grid_only:
            # Plain-letter keys act on the grid only, so typing in the search bar stays typing.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.grid.addAction(action)
        else:
            self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("&Add folder…", self.add_folder, QKeySequence.StandardKey.Open))
        self.rescan_action = self._action("&Rescan folders", self.start_indexing, QKeySequence.StandardKey.Refresh)
        file_menu.addAction(self.rescan_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("Model &weights…", self.manage_weights))
        file_menu.addAction(self._action("&Settings…", self.open_settings, "Ctrl+,"))
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.request_quit, QKeySequence.StandardKey.Quit)
        file_menu.addAction(self.quit_action)

        photo_menu = menu.addMenu("&Photo")
        self.like_action = self._action("&Like", lambda: self.mark_selection(1), "L", grid_only=True)
        self.dislike_action = self._action("&Dislike", lambda: self.mark_selection(-1), "D", grid_only=True)
        self.clear_mark_action = self._action("&Clear mark", lambda: self.mark_selection(0), "U", grid_only=True)
        self.open_action = self._action("&Open", self.open_current, None)
        self.open_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the grid handles Enter itself
        self.external_action = self._action("Open with system &viewer", self.open_external, "Ctrl+Shift+O", grid_only=True)
        self.folder_action = self._action("Show in &folder", self.show_current_in_folder, "Ctrl+Shift+R", grid_only=True)
        self.similar_action = self._action("Find &similar photos", self.find_similar_or_open_stack, "S", grid_only=True)
        for action in (self.like_action, self.dislike_action, self.clear_mark_action):
            photo_menu.addAction(action)
        photo_menu.addSeparator()
        for action in (self.open_action, self.external_action, self.folder_action, self.similar_action):
            photo_menu.addAction(action)
        photo_menu.addSeparator()
        self.confirm_action = self._action("C&onfirm in album", self.confirm_selection, "C", grid_only=True)
        self.not_album_action = self._action("&Not this album", self.reject_selection, "N", grid_only=True)
        self.best_shot_action = self._action("Make this the &best shot", self.make_best_shot, "B", grid_only=True)
        for action in (self.confirm_action, self.not_album_action, self.best_shot_action):
            photo_menu.addAction(action)
        self._build_timeline_actions(photo_menu)

        search_menu = menu.addMenu("&Search")
        search_menu.addAction(self._action("&Find…", self.focus_search, QKeySequence.StandardKey.Find))
        self.refine_action = self._action("&Refine", self.search.refine, "R", grid_only=True)
        self.refine_action.triggered.connect(lambda: self.statusBar().showMessage("Refining…", 2000))
        self.auto_refine_action = QAction("&Automatic refine", self, checkable=True)
        self.auto_refine_action.setChecked(self.ui_settings.auto_refine)
        self.auto_refine_action.toggled.connect(self.set_auto_refine)
        self.reset_action = self._action("Reset &feedback…", self.reset_feedback, "Ctrl+Shift+Backspace")
        self.clear_search_action = self._action("&Clear search", self.clear_search, "Escape")
        self.save_album_action = self._action("Save as &album…", self.save_search_as_album, "Ctrl+Shift+S")
        for action in (self.refine_action, self.auto_refine_action, self.reset_action, self.clear_search_action, self.save_album_action):
            search_menu.addAction(action)
        search_menu.addSeparator()
        search_menu.addAction(self._action("Clear search &history…", self.clear_search_history))

        albums_menu = menu.addMenu("&Albums")
        self.recluster_action = self._action("&Recompute albums", self.start_recluster)
        self.calibrate_action = self._action("&Calibrate ITAE on my photos", self.start_calibration)
        albums_menu.addAction(self._action("&New album…", self.new_album))
        albums_menu.addAction(self.recluster_action)
        albums_menu.addAction(self.calibrate_action)
        albums_menu.addSeparator()
        albums_menu.addAction(self._action("Review &stacks && duplicates", lambda: self.show_source(REVIEW)))
        albums_menu.addAction(self._action("&Undo last trash", self.undo_last_trash))

        view_menu = menu.addMenu("&View")
        def resize_by(step: int) -> Callable[[], None]:
            return lambda: self.set_thumbnail_side(self.size_slider.value() + step)

        view_menu.addAction(self._action("&Bigger thumbnails", resize_by(32), QKeySequence.StandardKey.ZoomIn))
        view_menu.addAction(self._action("&Smaller thumbnails", resize_by(-32), QKeySequence.StandardKey.ZoomOut))
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}  # kept in step with the Settings dialog
        for theme in THEMES:
            action = QAction(theme.capitalize(), self, checkable=True)
            action.setChecked(theme == self.ui_settings.theme)
            action.triggered.connect(lambda _checked=False, t=theme: self.set_theme(t))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[theme] = action

        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents))
        help_menu.addAction(self._action("&About Photo Organizer", self.show_about))


    def show_shortcuts(self) -> None:
        QMessageBox.information(
            self,
            "Keyboard shortcuts",
            "Arrow keys: move in the grid · Enter: open · S: find similar (on a stack: open it)\n"
            "In a taught album: C / L confirm · N / D not this album · In a stack: B best shot\n"
            "L: like · D: dislike · U: clear mark · R: refine\n"
            "0-5: stars · X: reject · 6-9: colour label · F: favourite · K: keywords · E: caption\n"
            "Ctrl+Z: undo the last rating, label, favourite, keyword or caption\n"
            "Ctrl+F: search · Escape: leave the search\n"
            "Ctrl + / Ctrl -: thumbnail size · F5: rescan folders\n"
            "In the viewer: Left / Right: previous / next, L / D / U: mark, 0-5 / X / 6-9 / F: curate",
        )

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Photo Organizer",
            f"<b>Photo Organizer {__version__}</b><br>Offline photo library: automatic albums "
            "(ITAE-DINOv2 + HDBSCAN) and CLIP search with like/dislike relevance feedback.<br>"
            "Your photos never leave this computer and are never modified.",
        )
