"""Taught albums: create one from a search session, teach it, and let new photos join.

* ``create_from_session``: members are the photos the session's predictor calls liked
  (same method and options), over the whole library's CLIP features; the liked examples are
  members too, the disliked never.
* ``confirm`` / ``reject`` newcomers; ``reject`` (or disliking any member) makes the photo a
  disliked example; ``add`` makes a photo a liked example. After each lesson the album is
  re-judged: unconfirmed members the predictor no longer likes leave, photos it now likes
  join as unconfirmed newcomers; examples and confirmed members stay.
* ``update_taught_albums_job``: at index time, after the CLIP pass, photos whose CLIP
  features are newer than the album's last judgement join when the predictor likes them,
  as unconfirmed newcomers (``albums show`` lists them; the window shows "12 new photos joined").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from photo_organizer.albums.clustering import normalise_rows
from photo_organizer.errors import LibraryError
from photo_organizer.progress import Job, Progress
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.storage import Library
from photo_organizer.taught import store
from photo_organizer.taught.predictor import predicted_liked
from photo_organizer.taught.store import SOURCE_CONFIRMED, SOURCE_EXAMPLE, SOURCE_NEW, SOURCE_TAUGHT

if TYPE_CHECKING:
    from photo_organizer.search.engine import SearchEngine

KEEPS = (SOURCE_EXAMPLE, SOURCE_CONFIRMED)  # members no lesson takes out (but a rejection)


@dataclass
class TaughtUpdate:
    joined: dict[int, list[int]] = field(default_factory=dict)  # album id -> newcomers

    def summary(self) -> str:
        total = sum(len(ids) for ids in self.joined.values())
        return f"{total} new photos joined {sum(1 for ids in self.joined.values() if ids)} taught albums"


def create_from_session(
    library: Library,
    name: str,
    *,
    session_id: int | None,
    query: dict,
    parts: Sequence[np.ndarray],
    options: FeedbackOptions,
    marks: dict[int, int],
    model_key: str,
) -> int:
    if not name.strip():
        raise LibraryError("A taught album needs a name.")
    ids, matrix, rowids = _library_features(library, model_key)
    stacked = np.stack([np.asarray(p, np.float32) for p in parts])
    liked = predicted_liked(ids, matrix, stacked, marks, options)  # validates method and marks first
    album_id = store.create(library, name.strip(), session_id, query, stacked, options, model_key, marks)
    sources = {int(pid): SOURCE_TAUGHT for pid in ids[liked].tolist()}
    sources.update({pid: SOURCE_EXAMPLE for pid, label in marks.items() if label > 0})
    store.write_members(library, album_id, _without_disliked(sources, marks), _newest(rowids))
    return album_id


def create_from_engine(library: Library, engine: SearchEngine, name: str) -> int:
    """Keep the engine's current search (query, marks, method and options) as a taught album."""
    query = engine.query
    if query is None:
        raise LibraryError("Search first: a taught album keeps a search and its marks.")
    return create_from_session(
        library,
        name,
        session_id=engine.session_id,
        query={"text": query.text, "photo_id": query.photo_id, "image_path": query.image_path},
        parts=engine.query_vectors,
        options=engine.options,
        marks=engine.marks,
        model_key=engine.encoder.model_key,
    )


def confirm(library: Library, album_id: int, photo_ids: Sequence[int] = ()) -> list[int]:
    """Confirm newcomers (all of them when none is named). Returns those confirmed."""
    store.load(library, album_id)
    sources = store.member_sources(library, album_id)
    chosen = list(photo_ids) or [pid for pid, source in sources.items() if source == SOURCE_NEW]
    _require_members(album_id, chosen, sources)
    for pid in chosen:
        if sources[pid] in (SOURCE_NEW, SOURCE_TAUGHT):
            sources[pid] = SOURCE_CONFIRMED
    store.write_members(library, album_id, sources)
    return chosen


def reject(library: Library, album_id: int, photo_ids: Sequence[int]) -> None:
    """Take members out: each becomes a disliked example, and the album is re-judged."""
    store.load(library, album_id)
    _require_members(album_id, photo_ids, store.member_sources(library, album_id))
    teach(library, album_id, {int(pid): -1 for pid in photo_ids})


def add(library: Library, album_id: int, photo_ids: Sequence[int]) -> None:
    """Put photos in: each becomes a liked example, and the album is re-judged."""
    for pid in photo_ids:
        library.photo(pid)  # a clear error for an unknown id
    teach(library, album_id, {int(pid): 1 for pid in photo_ids})


def teach(library: Library, album_id: int, lessons: dict[int, int]) -> None:
    album = store.load(library, album_id)
    library.put_taught_examples(album_id, lessons)
    examples = {**album.examples, **lessons}
    ids, matrix, rowids = _library_features(library, album.model_key)
    liked = set(ids[predicted_liked(ids, matrix, album.parts, examples, album.options)].tolist())
    old = store.member_sources(library, album_id)
    sources = {pid: source for pid, source in old.items() if source in KEEPS or pid in liked}
    sources.update({pid: SOURCE_NEW for pid in liked if pid not in sources})
    sources.update({pid: SOURCE_EXAMPLE for pid, label in examples.items() if label > 0})
    store.write_members(library, album_id, _without_disliked(sources, examples), _newest(rowids))


def pending_count(library: Library) -> int:
    """CLIP features no taught album has judged yet (cheap; no model)."""
    return library.count_photos_to_teach()


def update_taught_albums_job(library: Library) -> Job[TaughtUpdate]:
    """Newly embedded photos join the taught albums whose predictor likes them.

    Pipeline place: after the CLIP pass. Reads stored features only (no model); one
    transaction per album, so a stopped run resumes with the albums not updated yet.
    """
    report = TaughtUpdate()
    if pending_count(library) == 0:
        return report
    album_ids = library.taught_album_ids()
    features: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    yield Progress("taught albums", 0, len(album_ids))
    for done, album_id in enumerate(album_ids, start=1):
        album = store.load(library, album_id)
        if album.model_key not in features:
            features[album.model_key] = _library_features(library, album.model_key)
        ids, matrix, rowids = features[album.model_key]
        fresh = rowids > album.seen_rowid
        if fresh.any():
            liked = predicted_liked(ids, matrix, album.parts, album.examples, album.options)
            sources = store.member_sources(library, album_id)
            joined = [pid for pid in ids[liked & fresh].tolist() if pid not in sources and album.examples.get(pid) != -1]
            sources.update({pid: SOURCE_NEW for pid in joined})
            store.write_members(library, album_id, sources, _newest(rowids))
            report.joined[album_id] = joined
        yield Progress("taught albums", done, len(album_ids))
    return report


def describe(library: Library, album_id: int) -> dict:
    """The album's examples, members and unconfirmed newcomers (``albums show --json``)."""
    album = store.load(library, album_id)
    sources = store.member_sources(library, album_id)
    return {
        **album.as_json(),
        "members": [{"id": pid, "source": source} for pid, source in sources.items()],
        "new": [pid for pid, source in sources.items() if source == SOURCE_NEW],
    }


def _library_features(library: Library, model_key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(photo ids, unit features, embeddings rowids) of the whole library under ``model_key``."""
    ids, matrix = library.embeddings(model_key)
    if len(ids) == 0:
        raise LibraryError("No photo has search features yet. Run `photo-organizer index` first.")
    rowid_of = dict(zip(*(column.tolist() for column in library.embedding_rowids(model_key))))
    rowids = np.array([rowid_of.get(pid, 0) for pid in ids.tolist()], dtype=np.int64)
    return ids, normalise_rows(matrix), rowids


def _newest(rowids: np.ndarray) -> int:
    return int(rowids.max()) if len(rowids) else 0


def _without_disliked(sources: dict[int, str], examples: dict[int, int]) -> dict[int, str]:
    return {pid: source for pid, source in sources.items() if examples.get(pid) != -1}


def _require_members(album_id: int, photo_ids: Sequence[int], sources: dict[int, str]) -> None:
    missing = [pid for pid in photo_ids if pid not in sources]
    if missing:
        raise LibraryError(f"Photo(s) {missing} are not in album {album_id}. See `photo-organizer albums show {album_id}`.")
