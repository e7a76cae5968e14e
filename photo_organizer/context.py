"""What a command or the window needs to work on one library: the data home, its stores and
the models (built once per entry point, see ``environment.model_options_from_environment``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from photo_organizer.home import DataHome
from photo_organizer.models.provider import ModelOptions, ModelProvider
from photo_organizer.storage import Library


@dataclass
class AppContext:
    home: DataHome
    models: ModelProvider = field(default=None, repr=False)  # type: ignore[assignment]  # set below
    _library: Library | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.models is None:
            self.models = ModelProvider(self.home)

    @classmethod
    def open(cls, home: str | Path | None = None, model_options: ModelOptions | None = None) -> "AppContext":
        data_home = DataHome.open(home)
        return cls(data_home, ModelProvider(data_home, model_options))

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
