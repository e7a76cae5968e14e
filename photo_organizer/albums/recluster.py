"""The full re-cluster job, and the decision between it and the cheap incremental update.

``recluster_job`` is a ``progress.Job``: it yields between stages (features, clustering,
matching, saving, naming) and may be closed at any yield. Everything it changes is written in
one transaction in the saving stage, so a job stopped earlier leaves the old albums intact,
and names are written afterwards in their own transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from photo_organizer.albums import store
from photo_organizer.albums.clustering import (
    DEFAULT_GRANULARITY,
    GRANULARITY_SETTING,
    ClusteringParams,
    ClusterSummary,
    cluster_features,
    granularity_factor,
    normalise_rows,
    summarise_clusters,
)
from photo_organizer.albums.identity import IdentityPlan, PreviousAlbum, match_clusters
from photo_organizer.errors import LibraryError, ModelError
from photo_organizer.progress import Job, Progress
from photo_organizer.storage import Library
from photo_organizer.storage.albums import KIND_TAUGHT

if TYPE_CHECKING:
    from photo_organizer.albums.naming import AlbumNamer

# A full re-cluster is due when the library has this much more photos than at the last one.
REGROW_FACTOR = 1.2
# After a model change, wait until this share of photos has the new features.
MODEL_CHANGE_COVERAGE = 0.9

STAGES = ("features", "clustering", "matching", "saving", "naming")

NamerFactory = Callable[[], "AlbumNamer"]  # may raise WeightsMissingError


@dataclass
class ReclusterReport:
    model_key: str
    photos: int = 0
    clusters: int = 0
    fitted_on: int = 0
    albums: int = 0
    new_albums: int = 0
    matched_albums: int = 0
    kept_albums: int = 0
    dropped_albums: int = 0
    unsorted: int = 0
    min_cluster_size: int = 0
    granularity: str = DEFAULT_GRANULARITY
    seconds: float = 0.0
    named: int = 0
    naming_note: str | None = None
    written_album_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("written_album_ids")
        return data


def get_granularity(library: Library) -> str:
    return str(library.get_setting(GRANULARITY_SETTING, DEFAULT_GRANULARITY))


def set_granularity(library: Library, granularity: str) -> None:
    granularity_factor(granularity)  # validates
    library.set_setting(GRANULARITY_SETTING, granularity)


def _progress(stage: str, message: str) -> Progress:
    return Progress("albums", STAGES.index(stage), len(STAGES), message)


def recluster_job(
    library: Library,
    model_key: str,
    namer_factory: NamerFactory | None = None,
    granularity: str | None = None,
    params: ClusteringParams | None = None,
) -> Job[ReclusterReport]:
    started = time.perf_counter()
    granularity = granularity or get_granularity(library)
    report = ReclusterReport(model_key=model_key, granularity=granularity)
    yield _progress("features", "loading album features")
    photo_ids, features = library.embeddings(model_key)
    if len(photo_ids) == 0:
        raise LibraryError(
            f"No photo has album features ({model_key}) yet. Run `photo-organizer index` first."
        )
    params = params or ClusteringParams.for_library(len(photo_ids), granularity)
    report.photos, report.min_cluster_size = len(photo_ids), params.min_cluster_size
    yield _progress("clustering", f"clustering {len(photo_ids)} photos")
    result = cluster_features(features, params)
    summaries = summarise_clusters(photo_ids, features, result)
    report.clusters, report.fitted_on = len(summaries), result.fitted_on
    yield _progress("matching", f"matching {len(summaries)} clusters to albums")
    unit_features = normalise_rows(features)
    yield _progress("saving", "saving albums")
    # The albums and the user's edits are read inside the write transaction (it holds the
    # database's write lock): an edit made while the clustering ran is seen, never overwritten.
    with library.transaction():
        previous = previous_albums(library, set(photo_ids.tolist()))
        plan = match_clusters(previous, [frozenset(s.photo_ids.tolist()) for s in summaries])
        contents = planned_contents(library, plan, summaries, photo_ids, unit_features, model_key)
        library.delete_albums(plan.dropped)
        for album_id, content in contents:
            report.written_album_ids.append(store.write_album(library, album_id, content))
        library.set_setting(store.STATE_SETTING, _state_record(model_key, photo_ids, granularity))
    report.matched_albums, report.kept_albums = len(plan.matched), len(plan.kept)
    report.new_albums, report.dropped_albums = len(plan.new), len(plan.dropped)
    report.albums = len(store.list_albums(library, include_hidden=True))
    report.unsorted = len(library.photos_in_no_album(model_key))
    if namer_factory is not None:
        # The first time per CLIP model this encodes the whole vocabulary (about 1,300 prompts).
        yield _progress("naming", "naming albums (the first time per CLIP model takes a minute or more)")
        report.named, report.naming_note = _name_albums(library, namer_factory)
    report.seconds = time.perf_counter() - started
    yield Progress("albums", len(STAGES), len(STAGES), "done")
    return report


def _name_albums(library: Library, namer_factory: NamerFactory) -> tuple[int, str | None]:
    from photo_organizer.albums.naming import name_albums

    try:
        namer = namer_factory()
    except ModelError as error:
        return 0, str(error)
    names = name_albums(library, namer)
    missing = sum(1 for name in names.values() if name is None)
    note = f"{missing} albums have no CLIP image features yet and keep a numbered name." if missing else None
    return len(names) - missing, note


def _state_record(model_key: str, photo_ids: np.ndarray, granularity: str) -> dict:
    return {
        "model_key": model_key,
        "photo_count": int(len(photo_ids)),
        "max_photo_id": int(photo_ids.max()) if len(photo_ids) else 0,
        "granularity": granularity,
        "at": time.time(),
    }


def previous_albums(library: Library, clustered: set[int] | None = None) -> list[PreviousAlbum]:
    """The albums as they are; with ``clustered`` (the photos being clustered), each is
    matched on those of its members only, and one holding other photos (of a removed or
    missing folder) is marked ``has_away`` so it is never dropped."""
    sets = library.album_member_sets()
    manual = store.manual_members(library)
    excluded = library.album_exclusions()
    automatic = [row for row in library.album_rows(include_hidden=True) if row.get("kind") != KIND_TAUGHT]
    rows = sorted(automatic, key=lambda row: row["id"])  # taught albums are never touched
    albums = []
    for r in rows:
        members = sets.get(r["id"], set())
        present = members if clustered is None else members & clustered
        albums.append(
            PreviousAlbum(
                id=int(r["id"]),
                members=frozenset(present),
                touched=bool(r["name"]) or bool(r["hidden"]) or r["id"] in manual or r["id"] in excluded,
                has_away=len(present) < len(members),
            )
        )
    return albums


def planned_contents(
    library: Library,
    plan: IdentityPlan,
    summaries: list[ClusterSummary],
    photo_ids: np.ndarray,
    unit_features: np.ndarray,
    model_key: str,
) -> list[tuple[int | None, store.AlbumContent]]:
    """(album id or None for a new album, content) for every album the plan rewrites.

    User edits win over the clustering: excluded photos stay out, and a photo the user placed
    in an album by hand is not also placed in another album by the clustering.
    """
    manual = store.manual_members(library)
    excluded = library.album_exclusions()
    placed_by_hand = {photo: album for album, photos in manual.items() for photo in photos}
    row_of = {int(pid): row for row, pid in enumerate(photo_ids.tolist())}

    def clustered(album_id: int | None, columns: list[int]) -> list[tuple[int, float, str]]:
        banned = excluded.get(album_id, set()) if album_id is not None else set()
        chosen: list[tuple[int, float, str]] = []
        for column in columns:
            summary = summaries[column]
            for pid, strength in zip(summary.photo_ids.tolist(), summary.strengths.tolist()):
                elsewhere = placed_by_hand.get(pid)
                if pid in banned or (elsewhere is not None and elsewhere != album_id):
                    continue
                chosen.append((pid, strength, store.SOURCE_CLUSTER))
        return chosen

    def content(entries: list[tuple[int, float, str]]) -> store.AlbumContent:
        return store.content_from_entries(entries, model_key, row_of, unit_features)

    every_member = library.album_member_entries()

    def away(album_id: int) -> list[tuple[int, float, str]]:
        """Members that were not clustered (a removed or missing folder's): they stay."""
        return [entry for entry in every_member.get(album_id, []) if entry[0] not in row_of]

    contents: list[tuple[int | None, store.AlbumContent]] = []
    for album_id, columns in plan.matched.items():
        hand = [(pid, 1.0, store.SOURCE_MERGE) for pid in sorted(manual.get(album_id, ()))]
        contents.append((album_id, content(clustered(album_id, columns) + hand + away(album_id))))
    for album_id, columns in plan.kept.items():
        if not columns:
            continue  # an unmatched touched album: its rows stay exactly as the user left them
        contents.append((album_id, content(every_member.get(album_id, []) + clustered(album_id, columns))))
    for column in plan.new:
        contents.append((None, content(clustered(None, [column]))))
    return [(album_id, content) for album_id, content in contents if len(content.photo_ids)]


def last_clustering(library: Library) -> dict | None:
    return library.get_setting(store.STATE_SETTING)


FULL, INCREMENTAL, NOTHING = "full", "incremental", "none"


def update_action(library: Library, model_key: str) -> tuple[str, str]:
    """(action, why) for the update after indexing: FULL when albums were never computed, the
    library grew by REGROW_FACTOR, or the album model changed and its features now cover most
    of the library; NOTHING while there is nothing to cluster or the new features are coming;
    else INCREMENTAL."""
    state = last_clustering(library)
    feature_count = library.embedding_coverage().get(model_key, 0)
    if feature_count == 0:
        return NOTHING, "no photo has album features yet"
    if state is None:
        return FULL, "albums were never computed"
    if state.get("model_key") != model_key:
        live = library.count_by_state().get("ok", 0)
        if feature_count >= MODEL_CHANGE_COVERAGE * live:
            return FULL, "the album model changed"
        return NOTHING, f"waiting for the new album features ({feature_count} of {live} photos)"
    if feature_count >= REGROW_FACTOR * max(1, int(state.get("photo_count", 0))):
        return FULL, f"the library grew from {state.get('photo_count')} to {feature_count} photos"
    return INCREMENTAL, "the library has not grown much since the last clustering"
