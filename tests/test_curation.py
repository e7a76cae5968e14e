"""Curation in the library: the merge rules, edits on a selection with undo, the keyword tree
and the search filters (rating, keyword, label, favourites)."""

from __future__ import annotations

import numpy as np
import pytest

from photo_organizer.curation import edits
from photo_organizer.curation.model import REJECTED, keyword_tree, merge_keywords, parse_label, parse_rating
from photo_organizer.errors import LibraryError
from photo_organizer.search.query import SearchFilters, allowed_photo_ids
from photo_organizer.storage import Library
from tests.search_fakes import add_photos


@pytest.fixture
def library():
    """Six live photos (their files do not exist: sidecar writing is off)."""
    lib = Library.in_memory()
    ids = add_photos(lib, np.eye(6, 8, dtype=np.float32))
    edits.SidecarSettings(write=False).save(lib)
    yield lib, ids
    lib.close()


def test_keywords_merge_like_digikam():
    merged = merge_keywords(
        hierarchical=["Trips/2019/Lyon", "People/Anna"],
        flat=["Lyon", "cat", "Trips", "CAT", "2019"],
        lightroom=["Trips|2019|Lyon", "People|Anna", "Places|France"],
    )
    # Hierarchies from both tag fields, no duplicates; flat names already part of a hierarchy
    # are dropped; ancestors are implied by their descendants.
    assert merged == ("cat", "People/Anna", "Places/France", "Trips/2019/Lyon")
    assert merge_keywords(flat=[" a ", "", "b"]) == ("a", "b")
    assert merge_keywords(hierarchical=["Trips", "Trips/2019"]) == ("Trips/2019",)


def test_ratings_and_labels_are_validated():
    assert parse_rating("reject") == REJECTED and parse_rating("5") == 5 and parse_rating("0") == 0
    for bad in ("6", "-1", "three"):
        with pytest.raises(LibraryError):
            parse_rating(bad)
    assert parse_label("RED") == "Red" and parse_label("none") is None
    with pytest.raises(LibraryError):
        parse_label("pink")


def test_edits_on_a_selection_and_undo_restores(library):
    lib, ids = library
    edits.rate(lib, ids[:1], 2)
    record = edits.rate(lib, ids[:3], 5)
    assert record.previous == {ids[0]: 2, ids[1]: None, ids[2]: None}
    assert [c.rating for c in lib.curations(ids[:4]).values()] == [5, 5, 5, None]
    redo = edits.undo(lib, record)
    assert [c.rating for c in lib.curations(ids[:3]).values()] == [2, None, None]
    edits.undo(lib, redo)
    assert [c.rating for c in lib.curations(ids[:3]).values()] == [5, 5, 5]

    edits.add_keyword(lib, ids[:2], "Trips/2019/Lyon")
    record = edits.remove_keyword(lib, ids[:2], "Trips")  # a path and everything below it
    assert lib.curations(ids[:1])[ids[0]].keywords == ()
    edits.undo(lib, record)
    assert lib.curations(ids[:1])[ids[0]].keywords == ("Trips/2019/Lyon",)

    record = edits.set_favourite(lib, ids[1:2])
    edits.set_label(lib, ids[1:2], "green")
    edits.set_caption(lib, ids[1:2], "  On the quay  ")
    state = lib.curations(ids[1:2])[ids[1]]
    assert (state.favourite, state.label, state.caption) == (True, "Green", "On the quay")
    edits.undo(lib, record)
    assert lib.curations(ids[1:2])[ids[1]].favourite is False


def test_an_edit_on_a_missing_photo_changes_nothing(library):
    lib, ids = library
    with pytest.raises(LibraryError, match="no photo with id 999"):
        edits.rate(lib, [ids[0], 999], 4)
    assert lib.curations(ids[:1])[ids[0]].rating is None


def test_keyword_tree_counts_each_photo_once_per_node(library):
    lib, ids = library
    edits.add_keyword(lib, ids[:2], "Trips/2019/Lyon")
    edits.add_keyword(lib, ids[1:3], "Trips/2020/Paris")
    edits.add_keyword(lib, ids[3:4], "cat")
    tree = keyword_tree(lib.keyword_photos())
    assert [(n.path, n.count) for n in tree] == [("cat", 1), ("Trips", 3)]
    trips = tree[1]
    assert [(n.name, n.count, [c.path for c in n.children]) for n in trips.children] == [
        ("2019", 2, ["Trips/2019/Lyon"]),
        ("2020", 2, ["Trips/2020/Paris"]),
    ]


def test_keyword_completions_offer_paths_in_use(library):
    lib, ids = library
    edits.add_keyword(lib, ids[:2], "Trips/2019/Lyon")
    edits.add_keyword(lib, ids[2:3], "Trips/2020/Paris")
    edits.add_keyword(lib, ids[3:4], "lyon_cats")
    assert lib.keyword_completions("ly") == ["lyon_cats", "Trips/2019/Lyon"]
    assert lib.keyword_completions("trips/20") == ["Trips/2019/Lyon", "Trips/2020/Paris"]
    assert lib.keyword_completions("lyon_") == ["lyon_cats"]  # "_" is a character, not a wildcard
    edits.remove_keyword(lib, ids[2:3], "Trips/2020")
    assert lib.keyword_completions("Trips") == ["Trips/2019/Lyon"]  # no photo has Paris any more


def test_search_filters_by_rating_keyword_label_and_favourite(library):
    lib, ids = library
    edits.rate(lib, ids[0:1], 5)
    edits.rate(lib, ids[1:2], 3)
    edits.rate(lib, ids[2:3], REJECTED)
    edits.add_keyword(lib, ids[0:2], "Trips/2019/Lyon")
    edits.add_keyword(lib, ids[3:4], "Trips/2020")
    edits.set_label(lib, ids[1:3], "red")
    edits.set_favourite(lib, ids[4:5])

    def allowed(**filters) -> list[int]:
        return allowed_photo_ids(lib, SearchFilters(**filters)).tolist()

    assert allowed(min_rating=3) == ids[0:2]
    assert allowed(min_rating=0) == ids[0:2]  # rejected photos never pass
    assert allowed(keyword="Trips") == [ids[0], ids[1], ids[3]]
    assert allowed(keyword="trips/2019") == ids[0:2]
    assert allowed(keyword="Lyon") == ids[0:2]  # a single name matches a leaf
    assert allowed(keyword="Trip") == []
    assert allowed(label="Red") == ids[1:3]
    assert allowed(favourites=True) == [ids[4]]
    assert allowed(min_rating=4, keyword="Trips") == [ids[0]]
    assert allowed(min_rating=1, label="Red") == [ids[1]]


def test_undo_restores_the_sidecars_too(tmp_path):
    from photo_organizer.curation.xmp import read_sidecar

    lib = Library.in_memory()
    ids = add_photos(lib, np.eye(2, 8, dtype=np.float32), root=str(tmp_path))
    (tmp_path / "all").mkdir()
    sidecars = [tmp_path / "all" / f"photo_{n:04d}.jpg.xmp" for n in range(2)]
    edits.rate(lib, ids[:1], 2)
    record = edits.rate(lib, ids, 4)
    keywords = edits.add_keyword(lib, ids, "Trips/2019/Lyon")
    assert [read_sidecar(str(s)).rating for s in sidecars] == [4, 4]
    edits.undo(lib, keywords)
    edits.undo(lib, record)
    assert read_sidecar(str(sidecars[0])).rating == 2 and read_sidecar(str(sidecars[0])).keywords is None
    assert not sidecars[1].exists()  # it held only what was undone: no empty sidecar is left
    lib.close()


def test_a_new_sidecar_gets_all_the_values_an_existing_one_only_the_edit(tmp_path):
    from photo_organizer.curation.model import XmpFields
    from photo_organizer.curation.xmp import SidecarUpdate, read_sidecar, write_sidecar

    lib = Library.in_memory()
    ids = add_photos(lib, np.eye(2, 8, dtype=np.float32), root=str(tmp_path))
    (tmp_path / "all").mkdir()
    edits.SidecarSettings(write=False).save(lib)
    edits.add_keyword(lib, ids, "Trips/2019/Lyon")
    edits.set_caption(lib, ids, "Quay")
    edits.SidecarSettings(write=True).save(lib)
    fresh, existing = (tmp_path / "all" / f"photo_{n:04d}.jpg.xmp" for n in range(2))
    write_sidecar(str(existing), SidecarUpdate(add_keywords=("Other/Tool",)))
    edits.rate(lib, ids, 3)
    assert read_sidecar(str(fresh)) == XmpFields(rating=3, caption="Quay", keywords=("Trips/2019/Lyon",))
    assert read_sidecar(str(existing)).keywords == ("Other/Tool",) and read_sidecar(str(existing)).rating == 3
    lib.close()
