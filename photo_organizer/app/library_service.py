"""The app's one door to the core: every core module the window uses is reached from here.

Qt-free on purpose (plain Python over ``AppContext``), so it is easy to test, the command line
can use it too, and ``ui/`` never names a core module directly. Heavy core modules (models,
search, albums) are imported inside the methods that need them, never at start-up: the window
must be on screen before torch is imported.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photo_organizer.app import listing, timeline
from photo_organizer.app.types import (
    ALL_PHOTOS,
    DUPLICATES,
    UNSORTED,
    AlbumInfo,
    CoreSettings,
    GridContents,
    LibrarySummary,
    SearchHandle,
    Source,
    WeightsInfo,
)
from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import OK, Library
from photo_organizer.storage.timeline import EventRow

if TYPE_CHECKING:
    from photo_organizer.models.provider import ModelProvider


class CacheThumbnailReader:
    """Reads thumbnails from the cache; one per worker thread (own connections)."""

    def __init__(self, ctx: AppContext) -> None:
        from photo_organizer.thumbnails import ThumbnailCache

        self._library = ctx.new_library_connection()
        self._cache = ThumbnailCache(ctx.home.thumbnails_path)

    def read(self, photo_id: int) -> bytes | None:
        fingerprint = self._library.fingerprint_of(photo_id)
        return self._cache.get(fingerprint) if fingerprint else None

    def close(self) -> None:
        self._cache.close()
        self._library.close()


class LibraryService:
    """What a front end does with the library: browse, edit albums, settings, weights, and the
    background jobs (each made for the worker thread's own ``Library``)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    @property
    def library(self) -> Library:
        """The GUI thread's connection (quick reads and small edits only)."""
        return self.ctx.library

    def open_library(self) -> Library:
        """A fresh connection for a worker thread."""
        return self.ctx.new_library_connection()

    def open_thumbnail_reader(self) -> CacheThumbnailReader:
        return CacheThumbnailReader(self.ctx)

    # ---- browsing ---------------------------------------------------------------------------

    def contents(self, source: Source, placed_days: int | None = None) -> GridContents:
        """What the grid shows for ``source``. ``placed_days``: a browse timeline names the place of
        its newest days only (the first screen, read quicker); ``with_day_places`` adds the rest."""
        if source.kind == "all":
            return timeline.browse_timeline(self.library, ALL_PHOTOS.title, placed_days=placed_days)
        if source.kind == "folder" and source.key is not None:
            title = listing.folder_photos_title(self.library, source.key)
            return timeline.browse_timeline(self.library, title, source.key, placed_days)
        if source.kind in timeline.TIMELINE_KINDS:
            return self.timeline_contents(source)
        if source.kind == "liked":
            return listing.liked_photos(self.library)
        if source.kind == "album" and source.key is not None:
            return self.album_contents(source.key, source.title)
        if source.kind == "unsorted":
            return listing.photos_in_order(self.library, self._unsorted_ids() or [], UNSORTED.title)
        raise LibraryError(f"Unknown view {source.kind!r}.")

    # ---- timeline, events, places ----------------------------------------------------------

    def timeline_contents(self, source: Source) -> GridContents:
        """An event, a place or On this day, split into days."""
        if source.kind == "event" and source.key is not None:
            ids = timeline.event_photo_ids(self.library, source.key)
        elif source.kind == "place" and source.place is not None:
            ids = timeline.place_photo_ids(self.library, source.place)
        else:
            return timeline.sectioned(self.library, timeline.on_this_day(self.library))
        return timeline.sectioned(self.library, listing.photos_in_order(self.library, ids, source.title))

    def with_day_places(self, source: Source, contents: GridContents) -> GridContents:
        return timeline.with_day_places(self.library, contents, source.key if source.kind == "folder" else None)

    def months(self) -> list[timeline.MonthEntry]:
        return timeline.months_newest_first(self.library)

    def events(self, limit: int | None = None) -> list[EventRow]:
        return timeline.events(self.library, limit)

    def places(self) -> list[timeline.PlaceNode]:
        return timeline.place_tree(self.library)

    def on_this_day_count(self) -> int:
        return len(timeline.on_this_day(self.library))

    def adjust_dates(self, photo_ids: list[int], shift_seconds: int | None = None, set_date: str | None = None) -> timeline.DateUndo:
        return timeline.adjust_dates(self.library, photo_ids, shift_seconds=shift_seconds, set_date=set_date)

    def undo_dates(self, undo: timeline.DateUndo) -> None:
        timeline.undo_dates(self.library, undo)

    def photo_paths(self, photo_ids: list[int]) -> dict[int, str]:
        return listing.photo_paths(self.library, photo_ids)

    def folders(self) -> list[listing.FolderEntry]:
        return listing.folders(self.library)

    def has_folders(self) -> bool:
        return bool(self.library.roots())

    def add_folder(self, path: str | Path) -> int:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise LibraryError(f"{path} is not a folder.")
        return self.library.add_root(folder.resolve())

    def remove_folder(self, path: str | Path) -> int:
        return self.library.remove_root(Path(path))

    def photo_details(self, photo_id: int) -> dict[str, Any]:
        record = self.library.photo(photo_id)
        return {
            "id": record.id,
            "path": listing.photo_paths(self.library, [photo_id]).get(photo_id, record.path),
            "taken_at": record.taken_at,
            "camera": record.camera,
            "width": record.width,
            "height": record.height,
            "size": record.size,
        }

    def load_preview(self, path: str, max_side: int):  # noqa: ANN201 - PIL.Image
        """The photo upright in RGB, at most ``max_side`` pixels (worker thread)."""
        from photo_organizer.imaging import load_rgb

        image = load_rgb(path, min_side=max_side // 2)
        image.thumbnail((max_side, max_side))
        return image

    def library_summary(self) -> LibrarySummary:
        photos = self.library.count_by_state().get(OK, 0)
        return LibrarySummary(photos, len(listing.liked_photos(self.library)))

    # ---- background jobs (each runs with its own Library, on a worker thread) ---------------

    def index_job(self):  # noqa: ANN201 - JobFactory
        """Bring the library up to date: the one pipeline the command line runs too."""
        models = self.ctx.models

        def make(library: Library) -> Job:
            from photo_organizer.pipeline import update_library

            return update_library(library, models)

        return make

    # ---- models and settings ---------------------------------------------------------------

    def model_choices(self, role: str) -> list[tuple[str, str]]:
        from photo_organizer.models import registry

        return [(spec.name, f"{spec.name}  ({spec.size_mb:,} MB)") for spec in registry.specs_for_role(role)]

    def core_settings(self) -> CoreSettings:
        from photo_organizer.models import itae, registry

        clip = registry.active_spec(self.library, registry.CLIP)
        dino = registry.active_spec(self.library, registry.DINO)
        itae_settings = itae.load_settings(self.library)
        threshold = itae_settings.threshold
        return CoreSettings(
            clip_model=clip.name if clip else None,
            dino_model=dino.name if dino else None,
            itae_enabled=itae_settings.enabled,
            itae_threshold=threshold if threshold is not None and threshold == threshold and abs(threshold) != float("inf") else None,
            granularity=self.granularity(),
        )

    def save_core_settings(self, settings: CoreSettings) -> None:
        from photo_organizer.models import itae, registry

        if settings.clip_model:
            registry.set_active_model(self.library, settings.clip_model)
        if settings.dino_model:
            registry.set_active_model(self.library, settings.dino_model)
        else:
            registry.disable_role(self.library, registry.DINO)
        current = itae.load_settings(self.library)
        threshold = settings.itae_threshold if settings.itae_threshold is not None else current.threshold
        itae.save_settings(self.library, replace(current, enabled=settings.itae_enabled, threshold=threshold))
        if settings.granularity != self.granularity():
            from photo_organizer.albums.recluster import set_granularity

            set_granularity(self.library, settings.granularity)

    def active_model_name(self, role: str) -> str:
        from photo_organizer.models import registry

        spec = registry.active_spec(self.library, role)
        return spec.name if spec else registry.DEFAULT_MODELS[role]

    def missing_weights(self) -> list[str]:
        """Active models whose weights are not installed (no torch import)."""
        return [spec.name for spec in self.ctx.models.missing_weights(self.library)]

    def download_weights(self, model_name: str) -> None:
        """Fetch from the model hub (worker thread; raises OfflineError when offline)."""
        self.ctx.models.download_weights(model_name)

    def import_weights(self, model_name: str, path: str) -> None:
        """Install a weights file the user copied here (worker thread)."""
        self.ctx.models.import_weights(model_name, path)

    def weights_info(self, model_name: str) -> WeightsInfo:
        from photo_organizer.models import registry

        spec = registry.get_spec(model_name)
        return WeightsInfo(spec.name, registry.ROLE_PURPOSE[spec.role], spec.hub_name, spec.size_mb, spec.file_hint)

    def calibration_job(self):  # noqa: ANN201 - JobFactory
        models = self.ctx.models

        def make(library: Library) -> Job:
            return _calibrate(library, models)

        return make

    @staticmethod
    def describe_index_report(report: Any) -> str:
        if report is None:
            return "Indexing finished."
        return "Library up to date: " + report.summary().replace("\n", " · ")

    @staticmethod
    def describe_calibration(calibration: Any) -> str:
        from photo_organizer.itae_calibration import verdict

        return verdict(calibration)

    # ---- search ----------------------------------------------------------------------------

    def open_search(self) -> SearchHandle:
        """A search session on its own connection; call on the thread that will use it."""
        from photo_organizer.app.search_session import CoreSearchSession

        return CoreSearchSession(self.ctx)

    # ---- albums and duplicates -----------------------------------------------------------

    def albums(self) -> list[AlbumInfo]:
        from photo_organizer.albums import store

        return [
            AlbumInfo(a.id, a.display_name, a.size, a.cover_photo_ids[0] if a.cover_photo_ids else None, a.hidden)
            for a in store.list_albums(self.library, include_hidden=True)
        ]

    def album_contents(self, album_id: int, title: str) -> GridContents:
        from photo_organizer.albums import store

        members = store.members(self.library, album_id)
        return listing.photos_in_order(self.library, [m.photo_id for m in members], title)

    def unsorted_count(self) -> int | None:
        """Photos in no album; None before albums were ever computed."""
        ids = self._unsorted_ids()
        return len(ids) if ids is not None else None

    def _unsorted_ids(self) -> list[int] | None:
        from photo_organizer.albums.recluster import last_clustering

        state = last_clustering(self.library)
        return self.library.photos_in_no_album(state["model_key"]) if state else None

    def rename_album(self, album_id: int, name: str) -> None:
        from photo_organizer.albums import edits

        edits.rename_album(self.library, album_id, name)

    def merge_albums(self, album_ids: list[int]) -> None:
        """Merge into the first album (the one whose name is kept)."""
        from photo_organizer.albums import edits

        edits.merge_albums(self.library, album_ids[0], album_ids[1:])

    def hide_album(self, album_id: int, hidden: bool) -> None:
        from photo_organizer.albums import edits

        edits.set_hidden(self.library, album_id, hidden)

    def remove_from_album(self, album_id: int, photo_ids: list[int]) -> None:
        from photo_organizer.albums import edits

        edits.remove_photos(self.library, album_id, photo_ids)

    def export_album(self, album_id: int, folder: str) -> str:
        """Copy an album's photos into ``folder`` (never overwrites); a one-line summary."""
        from photo_organizer.albums import edits

        report = edits.export_album(self.library, album_id, Path(folder))
        text = f"Exported {len(report.written):,} photos to {report.folder}"
        if report.already_there:
            text += f"; {len(report.already_there):,} were already there"
        if report.failed:
            text += f"; {len(report.failed):,} could not be copied ({report.failed[0][1]})"
        return text + "."

    def recluster_job(self):  # noqa: ANN201 - JobFactory
        """A full re-clustering (names, hidden flags and edits are kept by the core)."""
        models = self.ctx.models

        def make(library: Library) -> Job:
            from photo_organizer.albums.recluster import recluster_job
            from photo_organizer.albums.sources import album_model_key, namer_factory

            return recluster_job(library, album_model_key(models, library), namer_factory(models, library))

        return make

    def duplicates_job(self):  # noqa: ANN201 - JobFactory
        """Exact duplicates and near-identical shots, as grid contents grouped together."""
        models = self.ctx.models

        def make(library: Library) -> Job:
            return _find_duplicates(library, models)

        return make

    def granularity(self) -> str:
        from photo_organizer.albums.recluster import get_granularity

        return get_granularity(self.library)


def _find_duplicates(library: Library, models: ModelProvider) -> Job:
    from photo_organizer.albums.duplicates import NEAR_IDENTICAL_THRESHOLDS, find_duplicates
    from photo_organizer.models.registry import DINO

    yield Progress("duplicates", 0, None, "comparing photos")
    report = find_duplicates(library, models.active_key(library, DINO), NEAR_IDENTICAL_THRESHOLDS[DINO])
    groups = report.exact + report.near
    contents = listing.photos_in_order(library, [pid for group in groups for pid in group.photo_ids], DUPLICATES.title)
    contents.group_count = len(groups)
    return contents


def _calibrate(library: Library, models: ModelProvider) -> Job:
    from photo_organizer.itae_calibration import calibrate_library

    return (yield from calibrate_library(library, models))
