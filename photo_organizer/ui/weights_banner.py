"""The banner shown while model weights are missing: one place that names every model still
needed (search, albums), what each is for, and how to get it online or offline.

Each "Get…" button opens the download / import dialog of its model. Photos are still read
and shown meanwhile; "Later" hides the banner until the next start.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from photo_organizer.app.types import WeightsInfo

STEPS = (
    "<b>Online:</b> click Get… then Download. "
    "<b>Offline:</b> on a computer with internet, download the file named in Get…, "
    "copy it to this computer, then click Get… and Import file."
)


class WeightsBanner(QFrame):
    getRequested = Signal(str)  # model name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("weightsBanner")
        self.setStyleSheet("#weightsBanner { border: 1px solid #d97706; border-radius: 6px; }")
        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.steps = QLabel(STEPS + " Your photos are still read and shown meanwhile.")
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self._rows = QGridLayout()
        self._rows.setColumnStretch(1, 1)
        self.later_button = QPushButton("Later")
        self.later_button.setToolTip("Hide this until the app starts again")
        self.later_button.clicked.connect(self._dismiss)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.later_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(top)
        layout.addLayout(self._rows)
        layout.addWidget(self.steps)
        self.model_labels: dict[str, QLabel] = {}
        self._dismissed = False
        self.hide()

    def set_missing(self, models: list[WeightsInfo]) -> None:
        """Name every model still needed; hide when none is (or the user said Later)."""
        self._clear_rows()
        purposes = " and ".join(dict.fromkeys(info.purpose for info in models))
        self.heading.setText(f"\u26A0 {purposes.capitalize()} need model files that are not installed yet" if models else "")
        for row, info in enumerate(models):
            label = QLabel(f"<b>{info.purpose.capitalize()}</b>: {info.model_name} (about {info.size_mb:,} MB)")
            button = QPushButton("Get…")
            button.setToolTip(f"Download {info.model_name}, or import its file: {info.file_hint}")
            button.clicked.connect(lambda _checked=False, name=info.model_name: self.getRequested.emit(name))
            self._rows.addWidget(label, row, 0, 1, 2)
            self._rows.addWidget(button, row, 2)
            self.model_labels[info.model_name] = label
        self.setVisible(bool(models) and not self._dismissed)

    def _clear_rows(self) -> None:
        self.model_labels = {}
        while self._rows.count():
            item = self._rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def _dismiss(self) -> None:
        self._dismissed = True
        self.hide()
