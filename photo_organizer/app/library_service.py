"""The app's one door to the core: every core module the window uses is reached from here.

Qt-free on purpose (plain Python over ``AppContext``), so it is easy to test, the command line
can use it too, and ``ui/`` never names a core module directly. Heavy core modules (models,
search, albums) are imported inside the methods that need them, never at start-up: the window
must be on screen before torch is imported.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photo_organizer.app import listing, timeline
from photo_organizer.app.curation_service import CurationService
from photo_organizer.app.organize import OrganizeActions
from photo_organizer.app.people import PeopleActions
from photo_organizer.app.types import (
    ALL_PHOTOS,
    DUPLICATES,
    UNSORTED,
    UNSORTED_FACES,
    AlbumInfo,
    CoreSettings,
    DuplicateSet,
    FailedFile,
    GridContents,
    LibrarySummary,
    SearchHandle,
    Source,
    WeightsInfo,
)
from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import ERROR, OK, Library, path_from_db
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


class LibraryService(OrganizeActions, PeopleActions):
    """What a front end does with the library: browse, edit albums, settings, weights, and the
    background jobs (each made for the worker thread's own ``Library``); taught albums, stacks
    and their review come from ``OrganizeActions``."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.curation = CurationService(lambda: self.ctx.library)

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

    def contents(self, source: Source, sort: str | None = None, placed_days: int | None = None) -> GridContents:
        """The photos of a sidebar entry, in a browse order (``listing.BROWSE_SORTS``) when
        given, else in the view's own (newest first; an album's as the album keeps it; an event's
        or a place's in time). Day headers (``sections``) only while the view is in its own date
        order: another order drops them (see ``listing.sorted_contents``). ``placed_days``: a
        browse timeline names the place of its newest days only (the first screen, read
        quicker); ``with_day_places`` adds the rest."""
        contents = self._contents(source, placed_days)
        if sort is None or (sort == listing.NEWEST and source.kind in ("all", "folder", *timeline.TIMELINE_KINDS)):
            return contents  # already newest first
        return listing.sorted_contents(self.library, contents, sort)

    def _contents(self, source: Source, placed_days: int | None) -> GridContents:
        if source.kind == "all":
            return self.collapse_stacks(timeline.browse_timeline(self.library, ALL_PHOTOS.title, placed_days=placed_days))
        if source.kind == "folder" and source.key is not None:
            title = listing.folder_photos_title(self.library, source.key)
            return self.collapse_stacks(timeline.browse_timeline(self.library, title, source.key, placed_days))
        if source.kind == "stack" and source.key is not None:
            return self.stack_contents(source.key, source.title)
        if source.kind in timeline.TIMELINE_KINDS:
            return self.timeline_contents(source)
        if source.kind == "liked":
            return listing.liked_photos(self.library)
        if source.kind == "favourites":
            return self.curation.favourites()
        if source.kind == "keyword":
            return self.curation.keyword_contents(source.title)
        if source.kind == "album" and source.key is not None:
            return self.album_contents(source.key, source.title)
        if source.kind == "unsorted":
            return listing.photos_in_order(self.library, self._unsorted_ids() or [], UNSORTED.title)
        if source.kind == "person" and source.key is not None:
            return self.person_contents(source.key, source.title)
        if source.kind == UNSORTED_FACES.kind:
            return self.unsorted_faces_contents(UNSORTED_FACES.title)
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

    def remove_folder(self, path: str | Path, forget: bool = False) -> int:
        """Stop watching a folder; its photos' albums and marks come back if it is added again.
        ``forget``: delete them for good, with its thumbnails and the searches that used it."""
        from photo_organizer.folders import forget_folder

        if forget:
            return forget_folder(self.library, self.ctx.home, path)
        return self.library.remove_root(Path(path))

    def relocate_folder(self, old: str, new: str) -> None:
        """The folder (an offline drive) is now at ``new``."""
        folder = Path(new).expanduser()
        if not folder.is_dir():
            raise LibraryError(f"{new} is not a folder.")
        self.library.relocate_root(Path(old), folder.resolve())

    def offline_photo_ids(self, photo_ids: list[int]) -> set[int]:
        return self.library.offline_photo_ids(photo_ids)

    def clear_search_history(self) -> int:
        from photo_organizer.folders import clear_search_history

        return clear_search_history(self.library, self.ctx.home)

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
            "file_date": _local_time(record.mtime),  # shown when the photo has no date of its own
        }

    def load_preview(self, path: str, max_side: int):  # noqa: ANN201 - PIL.Image
        """The photo upright in RGB, at most ``max_side`` pixels (worker thread)."""
        from photo_organizer.imaging import load_rgb

        image = load_rgb(path, min_side=max_side // 2, checkered=True)
        image.thumbnail((max_side, max_side))
        return image

    def library_summary(self) -> LibrarySummary:
        photos = self.library.count_by_state().get(OK, 0)
        return LibrarySummary(photos, len(listing.liked_photos(self.library)))

    # ---- background jobs (each runs with its own Library, on a worker thread) ---------------

    def index_job(self, root_ids: list[int] | None = None):  # noqa: ANN201 - JobFactory
        """Bring the library up to date (every folder, or only these): the one pipeline the
        command line runs too."""
        models = self.ctx.models

        def make(library: Library) -> Job:
            from photo_organizer.pipeline import PipelineOptions, update_library

            return update_library(library, models, PipelineOptions(root_ids=tuple(root_ids) if root_ids else None))

        return make

    def folder_paths(self) -> dict[int, str]:
        """Library folder id -> path of the folders online (what the window watches for arriving
        photos); an offline folder is watched again once an index found it back."""
        return {int(r["id"]): path_from_db(r["path"]) for r in self.library.roots() if r["offline_since"] is None}

    def data_home(self) -> Path:
        return self.ctx.home.root

    # ---- files that could not be read ------------------------------------------------------

    def failed_files(self) -> list[FailedFile]:
        return [FailedFile(int(r["id"]), path_from_db(r["path"]), r["error"] or "unknown reason") for r in self.library.failed_photos()]

    def failed_count(self) -> int:
        return self.library.count_by_state().get(ERROR, 0)

    def retry_failed(self, photo_ids: list[int] | None = None) -> int:
        """Back to pending (all, or these); the next index run reads them again."""
        return self.library.retry_failed_photos(photo_ids)

    # ---- models and settings ---------------------------------------------------------------

    def model_choices(self, role: str) -> list[tuple[str, str]]:
        """(name, "name · 605 MB · installed") per model of ``role``, sizes as `models list`."""
        from photo_organizer.models import registry
        from photo_organizer.models.weights import size_mb

        choices = []
        for spec in registry.specs_for_role(role):
            installed = self.ctx.models.installed(spec)
            state = "installed" if installed is not None else "not installed"
            choices.append((spec.name, f"{spec.name} · {size_mb(spec, installed):,} MB · {state}"))
        return choices

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
            itae_calibrated_for=itae_settings.calibrated_for,
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
        self._prepare_models()

    def import_weights(self, model_name: str, path: str) -> None:
        """Install a weights file the user copied here (worker thread)."""
        self.ctx.models.import_weights(model_name, path)
        self._prepare_models()

    def _prepare_models(self) -> None:
        """Export the search model's ONNX towers right after its weights arrive (this worker's
        own connection): the first index then runs its CLIP pass on them."""
        from photo_organizer.pipeline import prepare_models

        library = self.ctx.new_library_connection()
        try:
            prepare_models(library, self.ctx.models)
        finally:
            library.close()

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
    def describe_recluster_report(report: Any) -> str:
        if report is None:
            return "Albums recomputed."
        unsorted = f"; {report.unsorted:,} photos in no album" if report.unsorted else ""
        return f"Albums recomputed: {report.albums:,} albums ({report.new_albums:,} new){unsorted}."

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

        new = self.new_in_taught_albums()
        return [_album_info(a, new.get(a.id, 0)) for a in store.list_albums(self.library, include_hidden=True, include_away=False)]

    def album_contents(self, album_id: int, title: str) -> GridContents:
        from photo_organizer.albums import store

        if self.is_taught_album(album_id):
            return self.taught_album_contents(album_id, title)
        members = store.members(self.library, album_id)
        return self.collapse_stacks(listing.photos_in_order(self.library, [m.photo_id for m in members], title))

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

    def merge_albums(self, album_ids: list[int]) -> AlbumInfo:
        """Merge into the first album, which keeps its own name (the user's or the automatic one)."""
        from photo_organizer.albums import edits, store

        with self.library.transaction():
            kept_name = store.get_album(self.library, album_ids[0]).name
            edits.merge_albums(self.library, album_ids[0], album_ids[1:])
            return _album_info(edits.rename_album(self.library, album_ids[0], kept_name))

    def add_to_album(self, album_id: int, photo_ids: list[int]) -> AlbumInfo:
        """Put photos into an album by hand (re-clustering keeps them there)."""
        from photo_organizer.albums import edits

        return _album_info(edits.add_photos(self.library, album_id, photo_ids))

    def create_album(self, name: str, photo_ids: list[int] | None = None) -> AlbumInfo:
        from photo_organizer.albums import edits

        return _album_info(edits.create_album(self.library, name, photo_ids or []))

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


def _local_time(timestamp: float | None) -> str | None:
    if not timestamp:
        return None
    return datetime.fromtimestamp(timestamp).isoformat(timespec="minutes")


def _album_info(album: Any, new_count: int = 0) -> AlbumInfo:
    """The window's view of a core ``store.Album``: its live photos are what it shows."""
    cover = album.cover_photo_ids[0] if album.cover_photo_ids else None
    return AlbumInfo(album.id, album.display_name, album.live_size, cover, album.hidden, album.kind, new_count)


def _find_duplicates(library: Library, models: ModelProvider) -> Job:
    from photo_organizer.albums.duplicates import NEAR_IDENTICAL_THRESHOLDS, find_duplicates
    from photo_organizer.models.registry import DINO

    yield Progress("duplicates", 0, None, "comparing photos")
    report = find_duplicates(library, models.active_key(library, DINO), NEAR_IDENTICAL_THRESHOLDS[DINO])
    sets = duplicate_sets(library, [(group.kind, group.photo_ids) for group in report.exact + report.near])
    contents = GridContents(np.array([pid for found in sets for pid in found.photo_ids], dtype=np.int64), title=DUPLICATES.title)
    contents.group_count = len(sets)
    contents.duplicate_sets = sets
    return contents


def duplicate_sets(library: Library, groups: list[tuple[str, list[int]]]) -> list[DuplicateSet]:
    """Groups as the user reviews them: overlapping groups joined (an exact copy of a shot in a
    burst is one group, so every photo is listed once), live photos only, the reference first:
    the most pixels, then the largest file, then the oldest file (a copy is usually newer)."""
    joined: list[tuple[str, set[int]]] = []
    for kind, ids in groups:
        members, kinds = set(ids), {kind}
        for other in [entry for entry in joined if entry[1] & members]:
            joined.remove(other)
            members |= other[1]
            kinds.add(other[0])
        joined.append(("exact" if kinds == {"exact"} else "near", members))
    records = {record.id: record for record in library.photos(sorted({pid for _, ids in joined for pid in ids}))}
    sets = []
    for kind, members in joined:
        live = [records[pid] for pid in members if pid in records and records[pid].state == OK]
        if len(live) < 2:
            continue
        live.sort(key=lambda r: (-(r.width or 0) * (r.height or 0), -(r.size or 0), r.mtime or 0.0, r.id))
        sets.append(DuplicateSet(kind, [r.id for r in live], sum(r.size or 0 for r in live)))
    sets.sort(key=lambda found: (-found.total_bytes, found.photo_ids[0]))  # most space first
    return sets


def _calibrate(library: Library, models: ModelProvider) -> Job:
    from photo_organizer.itae_calibration import calibrate_library

    return (yield from calibrate_library(library, models))
