"""Bring the library up to date: the one index pipeline of the CLI, the window and the self-test.

The pipeline is a list of ``Stage``s run in order as one ``Job``: look for photos, read them
(metadata, thumbnails), place them in time and on the map (capture times, places, events), make
missing thumbnails again, read the ratings and keywords other tools wrote (XMP), the CLIP pass
and right after it the exported ONNX text and image towers (search works from then on), faces
and people, taught albums, the DINOv2 pass (with its ITAE auto-calibration), stacks of bursts,
albums, and event names. Each stage has a cheap ``pending`` check that runs right before it (an
earlier stage changes what a later one has to do); a stage with nothing to do is skipped and
costs nothing: no model load, no torch import. Every stage commits in batches, so closing the
job at any yield keeps the work done and the next run resumes. Before a stage that runs models,
the models it does not use are freed (one model at a time in memory).

More stages join by adding a ``Stage`` to ``STAGES`` (or by
passing another list to ``update_library``); front ends never chain steps themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from photo_organizer.errors import WeightsMissingError
from photo_organizer.home import DataHome
from photo_organizer.indexer import IndexReport, has_pending_photos, read_pending_photos
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import CLIP, DINO
from photo_organizer.progress import Job, Progress
from photo_organizer.scanner import ScanReport, scan_roots
from photo_organizer.storage import OK, Library, LibraryWriterLock


@dataclass(frozen=True)
class PipelineOptions:
    root_ids: tuple[int, ...] | None = None  # only these folders; None: every folder
    embeddings: bool = True  # False: scan, metadata and thumbnails only (`index --no-embeddings`)
    before_photos: bool = False  # model preparation runs even while the library has no photo


@dataclass
class PipelineReport:
    results: dict[str, Any] = field(default_factory=dict)  # stage key -> what that stage returned
    skipped: list[str] = field(default_factory=list)  # stage keys that had nothing to do
    missing_weights: list[str] = field(default_factory=list)  # one message (with the command) per model
    notes: list[str] = field(default_factory=list)  # what a stage wants the user to read

    @property
    def index(self) -> IndexReport:
        """Scan and reading of the photos (empty counts when the stages had nothing to do)."""
        read = self.results.get(READ)
        return read if read is not None else IndexReport(scan=self.results.get(SCAN) or ScanReport())

    @property
    def embedding_reports(self) -> list[Any]:
        return [self.results[key] for key in (CLIP_PASS, DINO_PASS) if self.results.get(key) is not None]

    def timeline_summary(self) -> str:
        """What the timeline stage did, or "" when it had nothing to do."""
        done = self.results.get(TIMELINE)
        if not done:
            return ""
        return f"timeline: {done['metadata']:,} dates re-read, {done['places']:,} photos placed, {done['events']:,} events"

    def summary(self) -> str:
        """The outcome in plain words, one line per thing that happened."""
        index = self.index
        scan = index.scan
        lines = [
            f"{scan.new:,} new, {scan.modified:,} changed, {scan.removed:,} removed"
            + (f", {scan.restored:,} back with their albums and marks" if scan.restored else "")
            + "; "
            f"{index.processed:,} photos read" + (f", {index.failed:,} could not be read" if index.failed else "")
            + (f", {index.searchable:,} of them prepared for search" if index.searchable else "")
        ]
        lines += scan.folder_notes()
        metadata = self.results.get(METADATA)
        if metadata is not None and (metadata.imported or metadata.errors):
            lines.append(metadata.summary())
        for report in self.embedding_reports:
            for one in report.passes:
                lines.append(f"{one.embedded:,} photos prepared with {one.stage}")
        named = ((FACES, "faces"), (PEOPLE, "people"), (TAUGHT_ALBUMS, "taught albums"), (STACKS, "stacks"), (ALBUMS, "albums"))
        for key, what in named:
            if self.results.get(key) is not None:
                lines.append(f"{what}: {self.results[key].summary()}")
        if self.timeline_summary():
            lines.append(self.timeline_summary())
        lines += self.notes
        lines += [message.splitlines()[0] for message in self.missing_weights]
        return "\n".join(lines)


@dataclass(frozen=True)
class StageRun:
    """What a stage gets: the library (this thread's connection), the data home, the options,
    and the report so far (a stage may read earlier results and add notes)."""

    library: Library
    models: ModelProvider  # builds the encoders; knows the data home
    options: PipelineOptions
    report: PipelineReport

    @property
    def home(self) -> DataHome:
        return self.models.home


@dataclass(frozen=True)
class Stage:
    key: str
    label: str  # in the user's words; the progress line and the window show it
    weight: float  # share of the overall bar, relative to the other stages
    pending: Callable[[StageRun], bool]  # cheap: no model load, no torch import
    run: Callable[[StageRun], Job[Any]]  # its return value lands in ``report.results[key]``
    needs_models: bool = False  # skipped when the options turn embeddings off
    models: tuple[str, ...] = ()  # the model roles it runs; others are freed before it starts


def update_library(
    library: Library,
    models: ModelProvider,
    options: PipelineOptions | None = None,
    stages: Sequence[Stage] | None = None,
) -> Job[PipelineReport]:
    """Run every stage that has something to do; progress carries the stage label and the
    overall fraction. Missing weights do not stop the run: the installed models still run
    and ``report.missing_weights`` says what to install."""
    from photo_organizer.models.runtime import limit_malloc_arenas

    limit_malloc_arenas()  # before the decode threads of the passes start
    options = options or PipelineOptions()
    stages = list(STAGES if stages is None else stages)
    report = PipelineReport()
    context = StageRun(library, models, options, report)
    total_weight = sum(stage.weight for stage in stages) or 1.0
    done_weight = 0.0
    # One indexing process per library (window or command): a second one says "busy" at once.
    with LibraryWriterLock(models.home.root):
        _repair(library, report)
        for stage in stages:
            if (stage.needs_models and not options.embeddings) or not stage.pending(context):
                report.skipped.append(stage.key)
            else:
                if stage.needs_models:
                    models.release(keep=stage.models)  # peak memory: one model at a time
                report.results[stage.key] = yield from _labelled(stage, stage.run(context), done_weight, total_weight)
            done_weight += stage.weight
    return report


def prepare_models(library: Library, models: ModelProvider) -> PipelineReport | None:
    """Export the active CLIP model's ONNX towers now, once its weights are installed (and by
    ``models prepare``), so that the first index runs its CLIP pass on them instead of paying
    for the export then. None when an index holds the library: that index exports them."""
    from photo_organizer.errors import LibraryBusyError
    from photo_organizer.progress import drain

    stages = [stage for stage in STAGES if stage.key in MODEL_PREPARATION]
    try:
        return drain(update_library(library, models, PipelineOptions(before_photos=True), stages))
    except LibraryBusyError:
        return None


def _repair(library: Library, report: PipelineReport) -> None:
    """A library left inconsistent (by an older version, or a crash outside a transaction) is
    mended before anything builds on it; the user is told what was fixed."""
    repaired = library.check_and_repair()
    if repaired:
        fixed = ", ".join(f"{count:,} {what}" for what, count in repaired.items())
        report.notes.append(f"Repaired the library: {fixed}.")


def _labelled(stage: Stage, job: Job[Any], done_weight: float, total_weight: float) -> Job[Any]:
    """The stage's own progress, with its label and the overall fraction added."""
    yield Progress(stage.key, 0, None, label=stage.label, overall=done_weight / total_weight)
    while True:
        try:
            progress = next(job)
        except StopIteration as stop:
            return stop.value
        within = progress.fraction or 0.0
        try:
            yield replace(progress, label=stage.label, overall=(done_weight + stage.weight * within) / total_weight)
        except GeneratorExit:
            job.close()  # the stage's finally blocks commit what is done
            raise


# ---- the stages ---------------------------------------------------------------------------

SCAN = "scan"
READ = "read"
THUMBNAILS = "thumbnails"
METADATA = "metadata"
CLIP_PASS = "clip"
FACES = "faces"
PEOPLE = "people"
DINO_PASS = "dino"
TAUGHT_ALBUMS = "taught-albums"
STACKS = "stacks"
ALBUMS = "albums"
TIMELINE = "timeline"
EVENT_NAMES = "event-names"
TEXT_SEARCH = "text-search"
IMAGE_SEARCH = "image-search"
MODEL_PREPARATION = (TEXT_SEARCH, IMAGE_SEARCH)  # the stages ``prepare_models`` runs


def _selected_roots(run: StageRun) -> list[dict] | None:
    ids = run.options.root_ids
    return None if ids is None else [root for root in run.library.roots() if root["id"] in ids]


def _scan(run: StageRun) -> Job[ScanReport]:
    return (yield from scan_roots(run.library, _selected_roots(run)))


def _read(run: StageRun) -> Job[IndexReport]:
    from photo_organizer.thumbnails import ThumbnailCache

    thumbnails = ThumbnailCache(run.home.thumbnails_path)
    try:
        report = IndexReport(scan=run.report.results.get(SCAN) or ScanReport())
        return (yield from read_pending_photos(run.library, thumbnails, report, search_encoder=_exported_search_encoder(run)))
    finally:
        thumbnails.close()


def _exported_search_encoder(run: StageRun) -> Any:
    """The CLIP pass's exported image tower when it is ready: reading the photos then embeds
    them from the same decode. None otherwise: no model is loaded to read photos, and the CLIP
    pass does its own decoding."""
    from photo_organizer.embedding import exported_clip_encoder

    return exported_clip_encoder(run.library, run.models) if run.options.embeddings else None


def _metadata_pending(run: StageRun) -> bool:
    from photo_organizer.curation.sync import pending_count

    return pending_count(run.library) > 0


def _metadata(run: StageRun) -> Job[Any]:
    from photo_organizer.curation.sync import read_metadata_job

    return (yield from read_metadata_job(run.library))


def _thumbnails_pending(run: StageRun) -> bool:
    from photo_organizer.indexer import photos_missing_thumbnails
    from photo_organizer.thumbnails import ThumbnailCache

    thumbnails = ThumbnailCache(run.home.thumbnails_path)
    try:
        return bool(photos_missing_thumbnails(run.library, thumbnails))
    finally:
        thumbnails.close()


def _thumbnails(run: StageRun) -> Job[int]:
    from photo_organizer.indexer import rebuild_thumbnails
    from photo_organizer.thumbnails import ThumbnailCache

    thumbnails = ThumbnailCache(run.home.thumbnails_path)
    try:
        made = yield from rebuild_thumbnails(run.library, thumbnails)
    finally:
        thumbnails.close()
    run.report.notes.append(f"Made {made:,} missing thumbnails again.")
    return made


def _timeline_pending(run: StageRun) -> bool:
    from photo_organizer.timeline.jobs import pending_count

    return pending_count(run.library) > 0


def _timeline(run: StageRun) -> Job[dict[str, int]]:
    from photo_organizer.timeline.jobs import timeline_job

    return (yield from timeline_job(run.library))


def _event_names_pending(run: StageRun) -> bool:
    from photo_organizer.models.registry import CLIP

    key = run.models.active_key(run.library, CLIP)
    return key is not None and run.library.count_unlabelled_events(key) > 0


def _event_names(run: StageRun) -> Job[int]:
    from photo_organizer.albums.sources import namer_factory
    from photo_organizer.timeline.jobs import name_events

    yield Progress(EVENT_NAMES, 0, 1)
    named = name_events(run.library, namer_factory(run.models, run.library))
    yield Progress(EVENT_NAMES, 1, 1, f"{named} events named")
    return named


def _has_live_photos(library: Library) -> bool:
    return bool(library.count_by_state().get(OK, 0))


def _embedding_pending(role: str) -> Callable[[StageRun], bool]:
    def pending(run: StageRun) -> bool:
        from photo_organizer.models.registry import active_spec

        if active_spec(run.library, role) is None:
            return False  # the role is turned off
        key = run.models.active_key(run.library, role)
        if key is None:  # weights missing: the stage only records which ones
            return _has_live_photos(run.library)
        return bool(run.library.photos_missing_embedding(key))

    return pending


def _embedding_pass(role: str) -> Callable[[StageRun], Job[Any]]:
    def run_pass(run: StageRun) -> Job[Any]:
        from photo_organizer.embedding import embed_library

        try:
            return (yield from embed_library(run.library, run.models, roles=[role]))
        except WeightsMissingError as error:
            run.report.missing_weights.append(str(error))
            return None

    return run_pass


def _taught_albums_pending(run: StageRun) -> bool:
    return run.library.count_photos_to_teach() > 0


def _taught_albums(run: StageRun) -> Job[Any]:
    """New photos join the taught albums whose predictor likes them (stored features only)."""
    from photo_organizer.taught.albums import update_taught_albums_job

    return (yield from update_taught_albums_job(run.library))


def _stacks_pending(run: StageRun) -> bool:
    from photo_organizer.stacks.job import pending_count, stack_features

    return pending_count(run.library, stack_features(run.models, run.library)[0]) > 0


def _stacks(run: StageRun) -> Job[Any]:
    """Bursts and RAW + JPEG pairs stacked, with a best shot (stored features only)."""
    from photo_organizer.stacks.job import stack_features, update_stacks_job

    key, threshold = stack_features(run.models, run.library)
    return (yield from update_stacks_job(run.library, key, threshold))


def _faces_pending(run: StageRun) -> bool:
    return run.library.face_scan_pending_count() > 0


def _faces(run: StageRun) -> Job[Any]:
    from photo_organizer.people.faces_pass import faces_job

    return (yield from faces_job(run.library))


def _people_pending(run: StageRun) -> bool:
    from photo_organizer.people.grouping import has_new_faces

    return has_new_faces(run.library)


def _people(run: StageRun) -> Job[Any]:
    from photo_organizer.people.grouping import update_people_job

    return (yield from update_people_job(run.library))


def _album_key(run: StageRun) -> str | None:
    from photo_organizer.albums.sources import album_model_key
    from photo_organizer.errors import ModelError

    try:
        return album_model_key(run.models, run.library)
    except ModelError:  # album model off, or its weights missing and no albums yet
        return None


def _albums_pending(run: StageRun) -> bool:
    from photo_organizer.albums.recluster import INCREMENTAL, NOTHING, last_clustering, update_action

    key = _album_key(run)
    if key is None:
        return False
    action, _why = update_action(run.library, key)
    if action == NOTHING:
        return False
    if action == INCREMENTAL:  # only photos embedded since the last clustering can join albums
        newest = run.library.newest_embedded_photo_id(key)
        return newest is not None and newest > int((last_clustering(run.library) or {}).get("max_photo_id", 0))
    return True


def _albums(run: StageRun) -> Job[Any]:
    from photo_organizer.albums.incremental import update_albums_job
    from photo_organizer.albums.sources import namer_factory

    key = _album_key(run)
    assert key is not None  # checked by _albums_pending
    return (yield from update_albums_job(run.library, key, namer_factory(run.models, run.library)))


def _exports_folder(run: StageRun) -> Any:
    """Where the ONNX towers of the active CLIP model go; None when CLIP cannot run."""
    key = run.models.active_key(run.library, CLIP)
    return None if key is None else run.home.model_exports(key)


def _photos_or_preparing(run: StageRun) -> bool:
    """An empty library loads no model on `index`; installing weights prepares them anyway."""
    return run.options.before_photos or _has_live_photos(run.library)


def _text_search_pending(run: StageRun) -> bool:
    """The export exists (or failed before) is read from files: CLIP is not loaded to learn it."""
    from photo_organizer.search.query_encoding import OnnxTextEncoder
    from photo_organizer.search.text_tower import recent_export_failure

    folder = _exports_folder(run)
    if folder is None or not _photos_or_preparing(run):
        return False
    return not OnnxTextEncoder.is_installed(folder) and recent_export_failure(folder) is None


def _text_search(run: StageRun) -> Job[bool]:
    """Export the CLIP text tower to ONNX, so a text search does not import torch."""
    from photo_organizer.search.query_encoding import prepare_text_search

    yield Progress(TEXT_SEARCH, 0, 1, "loading CLIP")
    ready = prepare_text_search(run.models.clip(run.library), _exports_folder(run), run.report.notes.append)
    yield Progress(TEXT_SEARCH, 1, 1)
    return ready


def _image_search_pending(run: StageRun) -> bool:
    from photo_organizer.search.image_tower import image_export_pending

    folder = _exports_folder(run)
    return folder is not None and _photos_or_preparing(run) and image_export_pending(folder)


def _image_search(run: StageRun) -> Job[bool]:
    """Export the CLIP image tower to ONNX, so a search by an image file does not import torch."""
    from photo_organizer.errors import ModelError
    from photo_organizer.search.image_tower import export_image_tower

    yield Progress(IMAGE_SEARCH, 0, 1, "loading CLIP")
    try:
        # CLIP is freed before the export is verified: on a CPU the CLIP pass runs on the export
        export_image_tower(lambda: run.models.clip(run.library), _exports_folder(run), run.models.release)
        ready = True
    except ModelError as error:
        run.report.notes.append(f"Search by a photo file stays on torch: {error}")
        ready = False
    yield Progress(IMAGE_SEARCH, 1, 1)
    return ready


# Both exports come before the CLIP pass, with CLIP loaded once: on a CPU the pass then runs on
# the exported image tower (ONNX Runtime, twice torch's speed), and torch's CLIP is freed first.
STAGES: list[Stage] = [
    Stage(SCAN, "Looking for photos", 1, lambda run: True, _scan),
    Stage(READ, "Reading photos", 4, lambda run: has_pending_photos(run.library), _read),
    Stage(TIMELINE, "Placing photos in time and on the map", 1, _timeline_pending, _timeline),
    Stage(THUMBNAILS, "Making missing thumbnails", 1, _thumbnails_pending, _thumbnails),
    Stage(METADATA, "Reading ratings and keywords", 1, _metadata_pending, _metadata),
    Stage(TEXT_SEARCH, "Making search instant", 1, _text_search_pending, _text_search, True, (CLIP,)),
    Stage(IMAGE_SEARCH, "Making search by photo instant", 1, _image_search_pending, _image_search, True, (CLIP,)),
    Stage(CLIP_PASS, "Preparing search", 6, _embedding_pending("clip"), _embedding_pass("clip"), True, (CLIP,)),
    Stage(FACES, "Finding faces", 5, _faces_pending, _faces, True),  # dlib's models, loaded by the pass
    Stage(PEOPLE, "Grouping people", 1, _people_pending, _people, True),
    Stage(TAUGHT_ALBUMS, "Updating taught albums", 1, _taught_albums_pending, _taught_albums),
    Stage(DINO_PASS, "Comparing photos for albums", 12, _embedding_pending("dino"), _embedding_pass("dino"), True, (DINO,)),
    Stage(STACKS, "Stacking bursts", 2, _stacks_pending, _stacks),
    Stage(ALBUMS, "Finding albums", 1, _albums_pending, _albums, True, (CLIP,)),  # CLIP names albums
    Stage(EVENT_NAMES, "Naming events", 0.5, _event_names_pending, _event_names, True, (CLIP,)),  # CLIP zero-shot labels
]
