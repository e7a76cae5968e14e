from __future__ import annotations

import json

import numpy as np
import pytest

from photo_organizer.albums import store
from photo_organizer.albums.naming import AlbumNamer, Vocabulary, encode_labels, name_albums
from photo_organizer.albums.recluster import recluster_job
from photo_organizer.errors import WeightsMissingError
from photo_organizer.home import DataHome
from photo_organizer.progress import drain
from photo_organizer.storage import Library
from tests.albums_helpers import CLIP_KEY, DINO_KEY, add_featured_photos, clustered_features

DIM = 16


def axis(i: int, dim: int = DIM) -> np.ndarray:
    vector = np.zeros(dim, dtype=np.float32)
    vector[i] = 1.0
    return vector


class KeywordTextEncoder:
    """Fake CLIP text tower: a prompt points along the axis of the first keyword it contains,
    with a small template-dependent wobble; counts calls to prove the cache answered."""

    def __init__(self, keywords: list[str]) -> None:
        self.keywords = keywords
        self.model_key = CLIP_KEY
        self.dim = DIM
        self.calls = 0

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            hits = [i for i, word in enumerate(self.keywords) if word in text]
            vector = axis(hits[0]) if hits else np.full(DIM, 0.1, dtype=np.float32)
            vector = vector + 0.05 * axis(DIM - 1 - (len(text) % 3))
            rows.append(vector / np.linalg.norm(vector))
        return np.stack(rows)


@pytest.fixture
def vocabulary(tmp_path) -> Vocabulary:
    data = {
        "version": 1,
        "categories": {
            "scene": {"templates": ["a photo of {}.", "a picture of {}."], "labels": [
                {"name": "Beach", "text": "a beach"}, {"name": "Mountains", "text": "mountains"}]},
            "object": {"templates": ["a photo of {}.", "a close-up photo of {}."], "labels": [
                {"name": "Cats", "text": "a cat"}, {"name": "Dogs", "text": "a dog"}]},
            "document": {"templates": ["a scan of {}."], "labels": [{"name": "Receipts", "text": "a receipt"}]},
        },
    }
    path = tmp_path / "vocabulary.json"
    path.write_text(json.dumps(data))
    return Vocabulary.load(path)


KEYWORDS = ["beach", "mountains", "cat", "dog", "receipt"]


def test_the_shipped_vocabulary_is_large_and_well_formed():
    vocabulary = Vocabulary.load()
    assert len(vocabulary.names) >= 300
    assert len(set(vocabulary.names)) == len(vocabulary.names)
    assert all(prompts and all("{}" not in p for p in prompts) for prompts in vocabulary.prompts)
    assert "Receipts" in vocabulary.names and "Beach" in vocabulary.names and "Wedding" in vocabulary.names


def test_labels_average_their_templates(vocabulary):
    labels = encode_labels(KeywordTextEncoder(KEYWORDS), vocabulary)
    assert labels.shape == (5, DIM)
    np.testing.assert_allclose(np.linalg.norm(labels, axis=1), 1.0, atol=1e-6)
    assert [int(np.argmax(row[:5])) for row in labels] == [0, 1, 2, 3, 4]


def test_naming_picks_the_right_label_on_hand_made_vectors(vocabulary):
    namer = AlbumNamer(vocabulary.names, encode_labels(KeywordTextEncoder(KEYWORDS), vocabulary), CLIP_KEY)
    assert namer.best_name(axis(2) + 0.3 * axis(3)) == "Cats"
    assert namer.best_name(axis(4) + 0.2 * axis(0)) == "Receipts"
    assert namer.best_name(0.9 * axis(1) + 0.4 * axis(0)) == "Mountains"


def test_two_albums_of_the_same_kind_get_distinct_names(vocabulary):
    namer = AlbumNamer(vocabulary.names, encode_labels(KeywordTextEncoder(KEYWORDS), vocabulary), CLIP_KEY)
    # Album 2 is clearly cats too; album 3 is cat-ish but as close to dogs (within the margin).
    names = namer.name_many(
        {1: axis(2), 2: axis(2) + 0.01 * axis(0), 3: axis(2) + axis(3) * 0.995}, sizes={1: 50, 2: 20, 3: 10}
    )
    assert names == {1: "Cats", 2: "Cats 2", 3: "Dogs"}


def test_label_vectors_are_cached_per_clip_model(vocabulary, tmp_path):
    encoder = KeywordTextEncoder(KEYWORDS)
    first = AlbumNamer.from_cache_or_encoder(CLIP_KEY, tmp_path, vocabulary, lambda: encoder)
    second = AlbumNamer.from_cache_or_encoder(CLIP_KEY, tmp_path, vocabulary, lambda: pytest.fail("cache missed"))
    np.testing.assert_allclose(first.label_vectors, second.label_vectors)
    assert encoder.calls == 1
    AlbumNamer.from_cache_or_encoder("clip:other:model:224px", tmp_path, vocabulary, lambda: encoder)
    assert encoder.calls == 2


def test_recluster_names_albums_from_their_clip_embeddings(vocabulary):
    library = Library.in_memory()
    features, truth = clustered_features([40, 35], seed=31)
    ids = np.array(add_featured_photos(library, features))
    clip = np.stack([axis(2) if t == 0 else axis(4) for t in truth]) + 0.05
    library.put_embeddings(CLIP_KEY, ids.tolist(), clip)
    namer = AlbumNamer(vocabulary.names, encode_labels(KeywordTextEncoder(KEYWORDS), vocabulary), CLIP_KEY)
    report = drain(recluster_job(library, DINO_KEY, lambda: namer))
    assert report.named == 2 and report.naming_note is None
    assert sorted(a.display_name for a in store.list_albums(library)) == ["Cats", "Receipts"]
    # The user's name wins over the automatic one, and survives renaming.
    cats = next(a for a in store.list_albums(library) if a.auto_name == "Cats")
    library.db.execute("UPDATE albums SET name = 'Minou' WHERE id = ?", [cats.id])
    name_albums(library, namer)
    assert store.get_album(library, cats.id).display_name == "Minou"
    library.close()


def test_without_clip_weights_albums_are_numbered_and_the_report_says_why(home):
    library = Library.in_memory()
    features, _ = clustered_features([40, 35], seed=32)
    add_featured_photos(library, features)

    def missing():
        raise WeightsMissingError("The CLIP weights are not installed.")

    report = drain(recluster_job(library, DINO_KEY, missing))
    assert report.named == 0 and "not installed" in report.naming_note
    assert {a.display_name for a in store.list_albums(library)} == {f"Album {a.id}" for a in store.list_albums(library)}
    assert DataHome.open(home).cache_dir.exists()
    library.close()
