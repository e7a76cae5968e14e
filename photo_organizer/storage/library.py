"""``Library``: one connection to the library database with every aggregate's methods."""

from __future__ import annotations

from photo_organizer.storage.albums import AlbumsStore
from photo_organizer.storage.curation import CurationStore
from photo_organizer.storage.embeddings import EmbeddingsStore
from photo_organizer.storage.maintenance import MaintenanceStore
from photo_organizer.storage.people import PeopleStore
from photo_organizer.storage.photos import PhotosStore
from photo_organizer.storage.roots import RootsStore
from photo_organizer.storage.search_sessions import SearchSessionsStore
from photo_organizer.storage.settings import SettingsStore
from photo_organizer.storage.stacks import StacksStore
from photo_organizer.storage.taught_albums import TaughtAlbumsStore
from photo_organizer.storage.timeline import TimelineStore


class Library(
    RootsStore,
    PhotosStore,
    EmbeddingsStore,
    AlbumsStore,
    SearchSessionsStore,
    SettingsStore,
    MaintenanceStore,
    CurationStore,
    StacksStore,
    TaughtAlbumsStore,
    PeopleStore,
    TimelineStore,
):
    """Access to one library database. Create one per thread (sqlite3 connections are not
    shared across threads). Every SQL statement of the application is in this package: the
    rest of the code calls these methods, never ``db`` or ``query``."""
