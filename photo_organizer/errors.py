"""Typed errors of the core. The command line and the GUI map them to messages in one place."""

from __future__ import annotations


class PhotoOrganizerError(Exception):
    """Base class: its message is written for the user, no traceback needed."""

    exit_code = 1


class DatabaseError(PhotoOrganizerError):
    """The library database cannot be used (corrupt, locked, unreadable)."""


class DatabaseTooNewError(DatabaseError):
    """The database was written by a newer version of Photo Organizer."""


class DatabaseLockedError(DatabaseError):
    """Another process holds the database (locked or busy)."""


class LibraryBusyError(DatabaseLockedError):
    """Another Photo Organizer (window or command) holds the library's writer lock."""


class DatabaseDamagedError(DatabaseError):
    """The file is not a database, or SQLite's integrity check fails."""


class DatabaseFullError(DatabaseError):
    """The disk holding the data home is full (SQLITE_FULL, ENOSPC)."""


class DatabaseReadOnlyError(DatabaseError):
    """The database file or the data home cannot be written."""


class DataHomeError(PhotoOrganizerError):
    """The data folder cannot be created or written (a file, a read-only or virtual place)."""


class LibraryError(PhotoOrganizerError):
    """A request about the library itself is wrong (unknown root, unknown photo id...)."""


class ImageLoadError(PhotoOrganizerError):
    """One photo cannot be read; the reason is recorded and the run goes on."""


class ModelError(PhotoOrganizerError):
    """A model cannot be built or run."""


class WeightsMissingError(ModelError):
    """The weights for a model are not installed; the message says how to get them."""

    exit_code = 3


class WeightsMismatchError(ModelError):
    """A weights file does not fit the architecture it was imported for."""


class OfflineError(ModelError):
    """A download was asked for but the network cannot be reached."""


class CancelledError(PhotoOrganizerError):
    """A long job was cancelled by the user; everything done so far is kept."""

    exit_code = 130


class DatasetError(PhotoOrganizerError):
    """A labelled evaluation folder (one sub-folder per class) cannot be used."""
