"""The search engine on a library with hand-made embeddings and a fake text encoder."""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.errors import LibraryError
from photo_organizer.search.engine import SearchEngine
from photo_organizer.search.feedback import FeedbackOptions
from photo_organizer.search.query import SearchFilters, SearchQuery, SearchView
from photo_organizer.search.query_encoding import IMAGE_FILE, QueryCache, QueryEncoder, image_file_key
from photo_organizer.storage import REMOVED, Library
from tests.search_fakes import MODEL_KEY, add_photos, make_engine, unit

# Axes: common, dog, cat, snow, beach, text-only (the modality gap), two noise axes.
PHOTOS = {
    "dog_snow": unit(1, 1, 0, 1, 0, 0, 0.1, 0),
    "dog_beach": unit(1, 1, 0, 0, 1, 0, 0, 0.1),
    "cat_snow": unit(1, 0, 1, 1, 0, 0, 0.1, 0.1),
    "cat_beach": unit(1, 0, 1, 0, 1, 0, 0, 0),
    "snow": unit(1, 0, 0, 1.2, 0, 0, 0.2, 0),
    "beach": unit(1, 0, 0, 0, 1.2, 0, 0, 0.2),
}
TEXTS = {
    "dog": unit(0.3, 0.35, 0, 0, 0, 1, 0, 0),
    "snow": unit(0.3, 0, 0, 0.35, 0, 1, 0, 0),
}
NAMES = list(PHOTOS)
DATES = ["2021-01-05T10:00:00", "2022-07-01T12:00:00", "2021-02-01T09:00:00", "2023-08-15T15:00:00", None, "2020-06-01T08:00:00"]
FOLDERS = ["winter", "summer", "winter", "summer", "winter", "summer"]


def noise_photos(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = np.zeros((count, 8), dtype=np.float32)
    vectors[:, 0] = 1.0
    vectors[:, 6:] = rng.standard_normal((count, 2)) * 0.4
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def library():
    lib = Library.in_memory()
    ids = add_photos(lib, np.stack(list(PHOTOS.values())), folders=FOLDERS, dates=DATES)
    add_photos(lib, noise_photos(24), folders=["other"] * 24, dates=["2019-01-01T00:00:00"] * 24)
    lib.ids = dict(zip(NAMES, ids))  # type: ignore[attr-defined]
    yield lib
    lib.close()


def names(library, results) -> list[str]:
    by_id = {pid: name for name, pid in library.ids.items()}
    return [by_id.get(result.photo_id, "noise") for result in results]


def test_text_search_ranks_by_cosine_and_every_result_has_its_score(library):
    engine, _ = make_engine(library, TEXTS)
    results = engine.search(SearchQuery(text="dog", view=SearchView(cutoff_z=None, limit=5)))
    assert names(library, results)[:2] in (["dog_snow", "dog_beach"], ["dog_beach", "dog_snow"])
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True) and len(results) == 5
    for result in results:
        vector = engine.index.vectors([result.photo_id])[0]
        assert result.score == pytest.approx(float(vector @ TEXTS["dog"]), abs=2e-3)  # float16 storage
        assert result.similarity == pytest.approx(result.score)
        assert result.predicted is None and result.mark is None
        assert result.path.endswith(".jpg") and result.rank >= 1
    assert engine.round == 0 and engine.session_id is None  # nothing marked: nothing saved yet
    assert not library.query("SELECT 1 FROM search_sessions")


def test_relevance_cutoff_hides_the_unrelated_tail(library):
    engine, _ = make_engine(library, TEXTS)
    everything = engine.search(SearchQuery(text="snow", view=SearchView(cutoff_z=None)))
    assert len(everything) == 30 and engine.hidden == 0
    shown = engine.search(SearchQuery(text="snow", view=SearchView(cutoff_z=1.0)))
    assert set(names(library, shown)) == {"dog_snow", "cat_snow", "snow"}
    assert engine.hidden == 27


def test_after_a_refine_the_cutoff_shows_the_predicted_liked_set(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    engine.search(SearchQuery(text="snow", view=SearchView(cutoff_z=1.0)))
    engine.mark(ids["cat_snow"], "liked")
    engine.mark(ids["dog_snow"], "disliked")
    refined = engine.refine()
    assert refined and all(result.predicted == "liked" for result in refined)
    everything = engine.search(SearchQuery(text="snow", liked=(ids["cat_snow"],), disliked=(ids["dog_snow"],),
                                           view=SearchView(cutoff_z=None)))
    predicted_liked = {r.photo_id for r in everything if r.predicted == "liked"}
    assert {r.photo_id for r in refined} == predicted_liked and len(predicted_liked) < len(everything)
    assert engine.hidden == 0  # the last search showed everything


def test_example_photo_query_leaves_the_example_out(library):
    engine, _ = make_engine(library, TEXTS)
    results = engine.search(SearchQuery(photo_id=library.ids["dog_snow"], view=SearchView(cutoff_z=None, limit=3)))
    assert "dog_snow" not in names(library, results)
    assert names(library, results)[0] in ("snow", "cat_snow", "dog_beach")


def test_combined_text_and_photo_query_standardises_each_part(library):
    engine, _ = make_engine(library, TEXTS)
    query = SearchQuery(text="dog", photo_id=library.ids["snow"], view=SearchView(cutoff_z=None, limit=3))
    results = engine.search(query)
    # "dog" + a snow photo: the dog in the snow wins although text cosines are far smaller.
    assert names(library, results)[0] == "dog_snow"
    sims_dog = engine.index.scores(TEXTS["dog"])
    sims_snow = engine.index.scores(engine.index.vectors([library.ids["snow"]])[0])
    z = lambda s: (s - s.mean()) / s.std()  # noqa: E731
    row = engine.index.positions([library.ids["dog_snow"]])[0]
    assert results[0].similarity == pytest.approx(float((z(sims_dog) + z(sims_snow))[row] / 2), rel=1e-4)


def test_liked_and_disliked_with_the_query_rerank_at_once(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    query = SearchQuery(text="dog", liked=(ids["dog_beach"],), disliked=(ids["dog_snow"],), view=SearchView(cutoff_z=None))
    results = engine.search(query)
    order = names(library, results)
    assert order.index("cat_beach") < order.index("cat_snow")  # beach liked, snow disliked
    by_name = dict(zip(order, results))
    assert by_name["dog_beach"].mark == "liked" and by_name["dog_beach"].predicted == "liked"
    assert by_name["dog_snow"].mark == "disliked" and by_name["dog_snow"].predicted == "disliked"
    assert by_name["beach"].predicted == "liked" and by_name["snow"].predicted == "disliked"


def test_mark_refine_reset_and_resume_a_saved_session(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    first = engine.search(SearchQuery(text="snow", view=SearchView(cutoff_z=None)))
    engine.mark(ids["cat_snow"], "liked")
    engine.mark(ids["dog_snow"], "disliked")
    engine.mark(ids["snow"], "liked")
    engine.mark(ids["snow"], None)  # cleared again
    assert engine.results == first  # marking alone does not re-rank
    refined = engine.refine()
    assert engine.round == 1
    assert names(library, refined).index("cat_beach") < names(library, refined).index("dog_beach")
    stored = library.query("SELECT photo_id, label, round FROM feedback WHERE session_id = ?", [engine.session_id])
    assert {(r["photo_id"], r["label"]) for r in stored} == {(ids["cat_snow"], 1), (ids["dog_snow"], -1)}

    other, _ = make_engine(library, TEXTS)
    resumed = other.resume(engine.session_id)
    assert other.round == 1 and other.marks == engine.marks
    assert [r.photo_id for r in resumed] == [r.photo_id for r in refined]
    assert other.options == engine.options

    back = other.reset_feedback()
    assert other.round == 0 and other.marks == {}
    assert [r.photo_id for r in back] == [r.photo_id for r in first]
    assert not library.query("SELECT 1 FROM feedback WHERE session_id = ?", [engine.session_id])


def test_switching_the_method_keeps_the_marks(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    engine.search(SearchQuery(text="dog", view=SearchView(cutoff_z=None)))
    engine.mark(ids["dog_beach"], "liked")
    engine.mark(ids["cat_snow"], "disliked")
    engine.refine()
    for method in ("rocchio", "linear", "none", "nn1"):
        results = engine.set_options(FeedbackOptions(method=method))
        assert len(results) == 30 and engine.marks and engine.options.method == method
        if method == "none":
            assert all(r.predicted is None for r in results)
    assert engine.sessions.load(engine.session_id).options.method == "nn1"


def test_filters_by_folder_date_and_album_and_sort_by_date(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    winter = engine.search(SearchQuery(text="dog", view=SearchView(filters=SearchFilters(folder="/photos/winter"), cutoff_z=None)))
    assert set(names(library, winter)) == {"dog_snow", "cat_snow", "snow"}
    dated = engine.search(
        SearchQuery(text="dog", view=SearchView(filters=SearchFilters(date_from="2021", date_to="2022-07"), cutoff_z=None))
    )
    assert set(names(library, dated)) == {"dog_snow", "dog_beach", "cat_snow"}
    with library.db.conn:
        album = library.db["albums"].insert({"name": "pets", "size": 2}).last_pk
        library.db["album_members"].insert_all([{"album_id": album, "photo_id": ids[n]} for n in ("cat_beach", "beach")])
    in_album = engine.search(SearchQuery(text="dog", view=SearchView(filters=SearchFilters(album_id=album), cutoff_z=None)))
    assert set(names(library, in_album)) == {"cat_beach", "beach"}
    newest_first = engine.search(SearchQuery(text="dog", view=SearchView(sort="date", limit=6, cutoff_z=None)))
    dates = [r.date for r in newest_first]
    assert dates == sorted(dates, reverse=True)
    with pytest.raises(LibraryError, match="album"):
        engine.search(SearchQuery(text="dog", view=SearchView(filters=SearchFilters(album_id=999))))
    with pytest.raises(LibraryError, match="date"):
        engine.search(SearchQuery(text="dog", view=SearchView(filters=SearchFilters(date_from="last week"))))


def test_rated_photos_outside_the_filter_still_steer_the_ranking(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    summer = SearchView(filters=SearchFilters(folder="/photos/summer"), cutoff_z=None)
    results = engine.search(SearchQuery(text="dog", liked=(ids["cat_snow"],), disliked=(ids["dog_snow"],), view=summer))
    assert set(names(library, results)) <= {"dog_beach", "cat_beach", "beach", "noise"}
    assert "cat_snow" not in names(library, results)


def test_index_follows_the_database(library):
    engine, _ = make_engine(library, TEXTS)
    engine.search(SearchQuery(text="dog", view=SearchView(cutoff_z=None)))
    generation = engine.index.generation
    engine.search(SearchQuery(text="snow", view=SearchView(cutoff_z=None)))
    assert engine.index.generation == generation  # nothing changed: no reload
    new_id = add_photos(library, np.stack([unit(1, 2, 0, 0, 0, 0, 0, 0)]), folders=["new"])[0]
    results = engine.search(SearchQuery(text="dog", view=SearchView(cutoff_z=None, limit=1)))
    assert results[0].photo_id == new_id
    with library.db.conn:
        library.db.execute("UPDATE photos SET state = ? WHERE id = ?", [REMOVED, new_id])
    results = engine.search(SearchQuery(text="dog", view=SearchView(cutoff_z=None)))
    assert new_id not in [r.photo_id for r in results]


def test_query_vectors_are_cached_on_disk(library, tmp_path):
    engine, fake = make_engine(library, TEXTS, cache_dir=tmp_path)
    engine.search(SearchQuery(text="dog"))
    assert fake.calls == 1 and engine.encoder.last_source == "torch"
    again, fake_again = make_engine(library, TEXTS, cache_dir=tmp_path)
    first = again.search(SearchQuery(text="dog"))
    assert fake_again.calls == 0 and again.encoder.last_source == "cache"
    assert [r.photo_id for r in first] == [r.photo_id for r in engine.results]


def test_image_file_query_uses_the_cached_vector_of_that_file(library, tmp_path):
    image = tmp_path / "query.jpg"
    image.write_bytes(b"not decoded: the vector is cached")
    cache = QueryCache(tmp_path / "cache.db")
    cache.put(MODEL_KEY, IMAGE_FILE, image_file_key(image), PHOTOS["cat_beach"])
    engine = SearchEngine(library, QueryEncoder(MODEL_KEY, load_clip=None, cache=cache))
    results = engine.search(SearchQuery(image_path=str(image), view=SearchView(limit=1)))
    assert results[0].photo_id == library.ids["cat_beach"]
    image.write_bytes(b"changed file: new identity, needs the model")
    with pytest.raises(Exception, match="CLIP model"):
        engine.search(SearchQuery(image_path=str(image)))


def test_more_like_these_from_liked_photos_alone(library):
    engine, _ = make_engine(library, TEXTS)
    ids = library.ids
    results = engine.search(SearchQuery(liked=(ids["dog_snow"], ids["cat_snow"]), view=SearchView(hide_rated=True)))
    assert names(library, results)[0] == "snow"
    session_id = engine.save_session()
    stored = library.query("SELECT photo_id, label FROM feedback WHERE session_id = ?", [session_id])
    assert sorted((r["photo_id"], r["label"]) for r in stored) == sorted([(ids["dog_snow"], 1), (ids["cat_snow"], 1)])
    resumed = make_engine(library, TEXTS)[0].resume(session_id)
    assert [r.photo_id for r in resumed] == [r.photo_id for r in results]


def test_wrong_requests_raise_clear_errors(library):
    engine, _ = make_engine(library, TEXTS)
    with pytest.raises(LibraryError, match="search first"):
        engine.mark(1, "liked")
    with pytest.raises(LibraryError, match="needs text"):
        SearchQuery()
    with pytest.raises(LibraryError, match="both liked and disliked"):
        SearchQuery(text="dog", liked=(1,), disliked=(1,))
    engine.search(SearchQuery(text="dog"))
    with pytest.raises(LibraryError, match="no search embedding"):
        engine.mark(9999, "liked")
    with pytest.raises(LibraryError, match="liked"):
        engine.mark(library.ids["dog_snow"], "love")
    with pytest.raises(LibraryError, match="no search session"):
        engine.resume(12345)
    empty = make_engine(Library.in_memory(), TEXTS)[0]
    with pytest.raises(LibraryError, match="index"):
        empty.search(SearchQuery(text="dog"))


def test_similarity_columns_are_cached_between_rounds_and_bounded(library):
    engine, _ = make_engine(library, TEXTS)
    engine.search(SearchQuery(text="dog"))
    index = engine.index
    rows = index.positions([library.ids["dog_snow"], library.ids["cat_beach"]])
    columns = index.similarity_columns(rows)
    np.testing.assert_allclose(columns, index.matrix @ index.matrix[rows].T, atol=1e-6)
    first = index._columns[int(rows[0])]
    index.similarity_columns(rows[::-1])
    assert index._columns[int(rows[0])] is first  # reused, not recomputed
    index.COLUMN_CACHE_BYTES = 4 * len(index) * 3  # room for three columns
    index.similarity_columns(np.arange(5))
    assert len(index._columns) == 5  # never fewer than the columns asked for
    index.similarity_columns(np.arange(1))
    assert len(index._columns) == 3


def test_new_embeddings_merge_in_order_and_rewrites_reload(library):
    engine, _ = make_engine(library, TEXTS)
    engine.search(SearchQuery(text="dog"))
    index = engine.index
    before = index.ids.copy()
    # A photo that had no embedding yet (older id), then a brand-new one: both merged in order.
    late, newest = add_photos(library, np.stack([unit(0, 1, 0, 0, 0, 0, 0, 0), unit(1, 3, 0, 0, 0, 0, 0, 0)]))
    with library.db.conn:
        library.db.execute("DELETE FROM embeddings WHERE photo_id = ?", [late])
    index.refresh()
    library.put_embeddings(MODEL_KEY, [late], unit(0, 1, 0, 0, 0, 0, 0, 0)[None, :])
    assert index.refresh() and list(index.ids) == sorted([*before, late, newest])
    np.testing.assert_allclose(index.vectors([late])[0], unit(0, 1, 0, 0, 0, 0, 0, 0), atol=1e-3)
    assert not index.refresh()  # nothing new
    # Rewriting a stored vector in place (a modified photo) is seen too.
    library.put_embeddings(MODEL_KEY, [late], unit(0, 0, 1, 0, 0, 0, 0, 0)[None, :])
    assert index.refresh()
    np.testing.assert_allclose(index.vectors([late])[0], unit(0, 0, 1, 0, 0, 0, 0, 0), atol=1e-3)
    assert engine.search(SearchQuery(text="dog", view=SearchView(limit=1)))[0].photo_id == newest


def test_a_first_mark_that_fails_saves_neither_the_session_nor_the_mark(library, monkeypatch):
    engine, _ = make_engine(library, TEXTS)
    engine.search(SearchQuery(text="snow", view=SearchView(cutoff_z=None)))

    def fail(*args, **kwargs):
        raise RuntimeError("killed after the session row was written")

    monkeypatch.setattr(Library, "set_session_mark", fail)
    with pytest.raises(RuntimeError):
        engine.mark(library.ids["snow"], "liked")
    assert engine.session_id is None
    assert library.query("SELECT COUNT(*) AS n FROM search_sessions")[0]["n"] == 0
    monkeypatch.undo()
    engine.mark(library.ids["snow"], "liked")  # works again, in a new session
    assert library.session_marks(engine.session_id) == {library.ids["snow"]: 1}


def test_image_file_with_a_library_photo_s_content_reuses_its_embedding(library, tmp_path):
    """A copy of a library photo (same content fingerprint) is searched without any model."""
    from photo_organizer.scanner import fingerprint

    image = tmp_path / "copy_of_cat_beach.jpg"
    image.write_bytes(b"the bytes of the library photo cat_beach" * 100)
    with library.db.conn:
        library.db.execute(
            "UPDATE photos SET fingerprint = ? WHERE id = ?",
            [fingerprint(str(image), image.stat().st_size), library.ids["cat_beach"]],
        )
    engine = SearchEngine(library, QueryEncoder(MODEL_KEY, load_clip=None))
    results = engine.search(SearchQuery(image_path=str(image), view=SearchView(limit=1)))
    assert engine.encoder.last_source == "library"
    assert results[0].photo_id == library.ids["cat_beach"] and results[0].similarity == pytest.approx(1.0, abs=1e-3)
    image.write_bytes(b"other content: needs the model")
    with pytest.raises(Exception, match="CLIP model"):
        engine.search(SearchQuery(image_path=str(image)))
