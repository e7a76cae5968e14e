"""The Duplicates view of the main window: found in the background, shown group by group."""

from __future__ import annotations

from photo_organizer.app.types import DUPLICATES, GridContents
from photo_organizer.ui.job_names import FINDING_DUPLICATES
from photo_organizer.ui.workers import JobRequest


class WindowDuplicates:
    """Mixin of ``MainWindow``: the sidebar's Duplicates entry."""

    def _show_duplicates(self) -> None:
        """Duplicates take a moment to find: an empty grid now, the groups when the job ends."""
        self._set_contents(GridContents([], title=DUPLICATES.title), keep_position=False)
        self.subtitle.setText("looking for exact duplicates and near-identical shots…")
        self.duplicates_view.show_note("Looking for exact duplicates and near-identical shots…")
        self.grid_stack.setCurrentWidget(self.duplicates_view)
        self.stack.setCurrentWidget(self.grid_page)
        self.sidebar.select_source(DUPLICATES)
        self._update_feedback_controls()
        if not self.jobs.is_queued_or_running(FINDING_DUPLICATES):
            self.jobs.submit(JobRequest(FINDING_DUPLICATES, self.backend.duplicates_job(), self._on_duplicates_found))

    def _on_duplicates_found(self, contents: GridContents) -> None:
        self.sidebar.set_duplicate_groups(contents.group_count or 0)
        if self._source == DUPLICATES and not self.search.active:
            self._set_contents(contents, keep_position=False)  # the viewer walks through these
            self.duplicates_view.show_groups(contents.duplicate_sets or [], self.backend.photo_paths(self.model.photo_ids()))
            if not len(contents):
                self.subtitle.setText("no duplicates found; nothing is ever deleted automatically")
                self.duplicates_view.show_note("No duplicates found.")
