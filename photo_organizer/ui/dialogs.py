"""First run, missing model weights, and the Settings dialog."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from photo_organizer.app.library_service import LibraryService
from photo_organizer.app.types import CoreSettings, WeightsInfo
from photo_organizer.ui import icons
from photo_organizer.ui.settings import MAX_THUMBNAIL, MIN_THUMBNAIL, UiSettings
from photo_organizer.ui.theme import THEMES
from photo_organizer.ui.workers import run_task

TEXT_DIALOG_WIDTH = 380  # wide enough for the whole title ("Rename album") on every platform
TEXT_DIALOG_MARGIN = 11  # the dialog layout's side margin, about


def ask_text(parent: QWidget, title: str, label: str, text: str = "") -> tuple[str, bool]:
    """A one-line question, wide enough that its title is never cut ("Renam… lbum")."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    width = max(TEXT_DIALOG_WIDTH, dialog.fontMetrics().horizontalAdvance(title) + 160)
    # The dialog's layout sizes it to its contents (a minimum width on the dialog is undone at
    # show time), so the text field is what is made wide.
    field = dialog.findChild(QLineEdit)
    if field is not None:
        field.setMinimumWidth(width - 2 * TEXT_DIALOG_MARGIN)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return dialog.textValue(), accepted


def pictures_folder() -> str:
    """Where exports start: the user's Pictures folder (the home folder when there is none)."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return pictures if pictures and Path(pictures).is_dir() else str(Path.home())


def decimals_for(value: float | None, significant: int = 5) -> int:
    """Enough decimals to show ``value`` to ``significant`` digits (a tiny θ must not read 0)."""
    if not value or value <= 0:
        return 4
    return max(2, significant - 1 - math.floor(math.log10(value)))


GRANULARITIES = (("fewer", "Fewer, larger albums"), ("normal", "Normal"), ("more", "More, smaller albums"))


class WelcomePanel(QWidget):
    """Shown instead of the grid while the library has no folders."""

    addFolderRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(128, 128))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Welcome to Photo Organizer")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Add the folders where your photos are. Photo Organizer reads them in the background,\n"
            "groups them into albums by what they show, and lets you search them by describing them.\n\n"
            "Your photos are never changed or moved, and nothing leaves this computer."
        )
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        self.add_button = QPushButton("Add a photo folder…")
        self.add_button.setDefault(True)
        self.add_button.setMinimumHeight(36)
        self.add_button.clicked.connect(self.addFolderRequested.emit)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.add_button)
        button_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addSpacing(12)
        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addWidget(text)
        layout.addSpacing(20)
        layout.addLayout(button_row)
        layout.addStretch(3)


class MissingWeightsDialog(QDialog):
    """Explains that a model's weights are not installed, and installs them.

    Online: download from the model hub. Offline: import a weights file copied from another
    computer. Either runs off the GUI thread; on success the dialog closes with Accepted.
    """

    def __init__(self, backend: LibraryService, info: WeightsInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model weights needed")
        self.setMinimumWidth(560)
        self._backend = backend
        self._info = info
        heading = QLabel(f"<b>{info.purpose.capitalize()} needs the {info.model_name} model</b>")
        explanation = QLabel(
            f"The weights of <b>{info.model_name}</b> (about {info.size_mb:,} MB; on the model hub as "
            f"{info.hub_name}) are not installed yet. Photo Organizer uses them for {info.purpose}; "
            "they run on this computer only."
            "<br><br><b>Online:</b> download them now from the model hub."
            "<br><b>Offline:</b> on a computer with internet, download this file:"
            f"<br><i>{info.file_hint}</i><br>copy it here and import it."
        )
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        explanation.setOpenExternalLinks(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.download_button = QPushButton("Download")
        self.import_button = QPushButton("Import file…")
        self.close_button = QPushButton("Not now")
        self.download_button.clicked.connect(self.download)
        self.import_button.clicked.connect(self._pick_file)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def download(self) -> None:
        self._run("Downloading… (this can take several minutes)", lambda: self._backend.download_weights(self._info.model_name))

    def import_file(self, path: str) -> None:
        # a search model is also prepared (exported to ONNX) right after: seconds more
        self._run(f"Importing {path} and preparing it…", lambda: self._backend.import_weights(self._info.model_name, path))

    def _pick_file(self) -> None:
        weights_filter = "Weights (*.safetensors *.bin *.pt *.pth);;All files (*)"
        path, _ = QFileDialog.getOpenFileName(self, f"Import weights for {self._info.model_name}", "", weights_filter)
        if path:
            self.import_file(path)

    def _run(self, message: str, call) -> None:  # noqa: ANN001
        self._set_busy(True, message)
        run_task(call, self._done, self._failed)

    def _done(self, _result: object) -> None:
        self._set_busy(False, f"{self._info.model_name} is installed.")
        self.accept()

    def _failed(self, message: str, _error: BaseException) -> None:
        self._set_busy(False, f"<span style='color:#dc2626'>{message}</span>")

    def _set_busy(self, busy: bool, message: str) -> None:
        self.status.setText(message)
        for button in (self.download_button, self.import_button):
            button.setEnabled(not busy)


class SettingsDialog(QDialog):
    """Models, ITAE, album granularity (library settings) and the window's own preferences."""

    calibrateRequested = Signal()

    def __init__(self, backend: LibraryService, ui_settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self._backend = backend
        self._ui = ui_settings
        core = backend.core_settings()
        self._core = core

        self.theme = QComboBox()
        self.theme.addItems([t.capitalize() for t in THEMES])
        self.theme.setCurrentIndex(THEMES.index(ui_settings.theme) if ui_settings.theme in THEMES else 1)
        self.thumbnail_side = QSlider(Qt.Orientation.Horizontal)
        self.thumbnail_side.setRange(MIN_THUMBNAIL, MAX_THUMBNAIL)
        self.thumbnail_side.setSingleStep(8)
        self.thumbnail_side.setValue(ui_settings.thumbnail_side)
        self.scan_on_start = QCheckBox("Look for new and changed photos when the app starts")
        self.scan_on_start.setChecked(ui_settings.scan_on_start)
        appearance = QFormLayout()
        appearance.addRow("Theme", self.theme)
        appearance.addRow("Thumbnail size", self.thumbnail_side)
        appearance.addRow("", self.scan_on_start)

        self.clip_model = self._model_combo(backend.model_choices("clip"), core.clip_model, allow_off=False)
        self.auto_refine = QCheckBox("Refine after every like or dislike")
        self.auto_refine.setChecked(ui_settings.auto_refine)
        search = QFormLayout()
        search.addRow("Search model", self.clip_model)
        search.addRow("", self.auto_refine)

        self.dino_model = self._model_combo(backend.model_choices("dino"), core.dino_model, allow_off=True)
        self.itae_enabled = QCheckBox("Keep noisy patches of a photo from swaying the albums")
        self.itae_enabled.setToolTip(
            "The larger album models let a few meaningless image patches weigh on how photos are grouped. "
            "This evens them out (the ITAE method); it helps most with the larger album models."
        )
        self.itae_enabled.setChecked(core.itae_enabled)
        self.itae_threshold = QDoubleSpinBox()
        self.itae_threshold.setRange(0.0, 1e6)
        self.itae_threshold.setDecimals(decimals_for(core.itae_threshold))
        measured = core.itae_calibrated_for is not None
        self.itae_threshold.setSpecialValueText("measured: none needed for this model" if measured else "not measured yet")
        self.itae_threshold.setValue(core.itae_threshold or 0.0)
        self.itae_threshold.setToolTip(
            "Patches at or below this level count as noise. It is measured on your photos when they are "
            "first indexed; Measure again repeats it."
        )
        calibrate = QPushButton("Measure again")
        calibrate.setToolTip("Measure the noise level on a sample of this library's photos (runs in the background)")
        calibrate.clicked.connect(self._calibrate)
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.itae_threshold, 1)
        threshold_row.addWidget(calibrate)
        self.granularity = QComboBox()
        for value, text in GRANULARITIES:
            self.granularity.addItem(text, value)
        self.granularity.setCurrentIndex(max(0, self.granularity.findData(core.granularity)))
        self.granularity.setToolTip("Applies at the next album computation (Albums ▸ Recompute albums)")
        albums = QFormLayout()
        albums.addRow("Album model", self.dino_model)
        albums.addRow("", self.itae_enabled)
        albums.addRow("Noise level", threshold_row)
        albums.addRow("Albums", self.granularity)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for title, form in (("Appearance", appearance), ("Search", search), ("Albums", albums)):
            box = QGroupBox(title)
            box.setLayout(form)
            layout.addWidget(box)
        layout.addWidget(buttons)

    @staticmethod
    def _model_combo(choices: list[tuple[str, str]], current: str | None, allow_off: bool) -> QComboBox:
        combo = QComboBox()
        if allow_off:
            combo.addItem("Off (no automatic albums)", None)
        for name, description in choices:
            combo.addItem(description, name)
        index = combo.findData(current)
        combo.setCurrentIndex(max(0, index))
        return combo

    def _calibrate(self) -> None:
        self.calibrateRequested.emit()

    def chosen_core_settings(self) -> CoreSettings:
        threshold: float | None = self.itae_threshold.value()
        shown_precision = 0.5 * 10 ** -self.itae_threshold.decimals()
        if self._core.itae_threshold is not None and abs(threshold - self._core.itae_threshold) <= shown_precision:
            threshold = self._core.itae_threshold  # unchanged: keep every digit (it is in the model key)
        return CoreSettings(
            clip_model=self.clip_model.currentData(),
            dino_model=self.dino_model.currentData(),
            itae_enabled=self.itae_enabled.isChecked(),
            itae_threshold=threshold if threshold else None,
            granularity=self.granularity.currentData(),
        )

    def apply(self) -> None:
        """Store the choices (called by the window after Accepted)."""
        self._ui.theme = THEMES[self.theme.currentIndex()]
        self._ui.thumbnail_side = self.thumbnail_side.value()
        self._ui.auto_refine = self.auto_refine.isChecked()
        self._ui.scan_on_start = self.scan_on_start.isChecked()
        self._backend.save_core_settings(self.chosen_core_settings())
