"""The status-bar strip for background jobs: what runs, a progress bar, and Cancel."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from photo_organizer.progress import Progress
from photo_organizer.ui.workers import JobRunner, progress_text

OVERALL_STEPS = 1000  # resolution of the overall bar


class JobStatus(QWidget):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._overall = 0  # the overall bar's value in this job, in OVERALL_STEPS
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job; the work done so far is kept and resumes next time")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        runner.started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.idle.connect(self.hide)
        self.hide()

    def _on_started(self, name: str) -> None:
        self.label.setText(f"{name}…")
        self.bar.setRange(0, 0)  # busy until the first progress arrives
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self._overall = 0
        self.show()

    def _on_progress(self, name: str, progress: Progress) -> None:
        # A pipeline's steps speak for themselves ("Reading photos"); a lone job says its name.
        self.label.setText(progress_text(replace(progress, label=progress.label or name)))
        if progress.overall is not None:  # a pipeline: one bar across all its steps
            # Never backwards: a step that starts with an unknown total must not empty the bar.
            self._overall = max(self._overall, round(progress.overall * OVERALL_STEPS))
            self.bar.setRange(0, OVERALL_STEPS)
            self.bar.setValue(self._overall)
        elif progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        else:
            self.bar.setRange(0, 0)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self._runner.cancel()
