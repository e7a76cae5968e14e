""""Adjust date…": shift the capture time of the selected photos (a camera clock set wrong,
another time zone) or set a date (undated scans). The correction lives in the library only."""

from __future__ import annotations

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

DAY_S, HOUR_S, MINUTE_S = 86400, 3600, 60


class AdjustDateDialog(QDialog):
    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Adjust date")
        self.shift_button = QRadioButton("Shift the time by")
        self.set_button = QRadioButton("Set the date to")
        self.shift_button.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.shift_button)
        group.addButton(self.set_button)
        self.direction = QComboBox()
        self.direction.addItem("later", 1)
        self.direction.addItem("earlier", -1)
        self.days, self.hours, self.minutes = QSpinBox(), QSpinBox(), QSpinBox()
        for box, top, suffix in ((self.days, 3650, " d"), (self.hours, 23, " h"), (self.minutes, 59, " min")):
            box.setRange(0, top)
            box.setSuffix(suffix)
        self.date_edit = QDateTimeEdit(QDateTime.currentDateTime())
        self.date_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.date_edit.setCalendarPopup(True)

        grid = QGridLayout()
        grid.addWidget(self.shift_button, 0, 0)
        for column, widget in enumerate((self.days, self.hours, self.minutes, self.direction), start=1):
            grid.addWidget(widget, 0, column)
        grid.addWidget(self.set_button, 1, 0)
        grid.addWidget(self.date_edit, 1, 1, 1, 4)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        photos = "1 photo" if count == 1 else f"{count:,} photos"
        layout.addWidget(QLabel(f"{photos}. The files are not changed; Photo → Undo date change (Ctrl+Z) takes it back."))
        layout.addLayout(grid)
        layout.addWidget(buttons)

    def shift_seconds(self) -> int | None:
        """The chosen shift, or None when a date is to be set."""
        if not self.shift_button.isChecked():
            return None
        seconds = self.days.value() * DAY_S + self.hours.value() * HOUR_S + self.minutes.value() * MINUTE_S
        return seconds * int(self.direction.currentData())

    def set_date(self) -> str | None:
        """The chosen date ("YYYY-MM-DDTHH:MM"), or None when shifting."""
        return self.date_edit.dateTime().toString("yyyy-MM-ddTHH:mm") if self.set_button.isChecked() else None
