"""What a command or the window needs to work on one library: the data home and its stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from photo_organizer.home import DataHome
from photo_organizer.storage import Library


@dataclass
class AppContext:
    home: DataHome
    _library: Library | None = field(default=None, repr=False)

    @classmethod
    def open(cls, home: str | Path | None = None) -> "AppContext":
        return cls(DataHome.open(home))

    @property
    def library(self) -> Library:
        """This thread's library connection (opened, and migrated, on first use)."""
        if self._library is None:
            self._library = Library(self.home.database_path)
        return self._library

    def new_library_connection(self) -> Library:
        """A separate connection, for a worker thread."""
        return Library(self.home.database_path)

    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None
