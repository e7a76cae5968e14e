"""Automatic album names: CLIP zero-shot classification of an album's mean image embedding.

The vocabulary (``resources/album_vocabulary.json``) lists a few hundred everyday scenes,
objects, events, document types and foods, each with a display name and a phrase, and prompt
templates per category. A label's text embedding is the normalised mean of its phrase in every
template of its category (prompt ensembling, as in the CLIP paper). An album's name is the
label most similar (cosine) to the normalised mean of its members' CLIP image embeddings.

The label embeddings are cached in the data home, keyed by the CLIP model key and a digest of
the vocabulary, so naming after the first time needs neither torch nor the CLIP weights.
Without CLIP weights albums keep a numbered name ("Album 12"); the user's own name always wins.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photo_organizer.albums import store
from photo_organizer.albums.clustering import normalise_rows
from photo_organizer.models.base import TextEncoder
from photo_organizer.models.provider import ModelProvider
from photo_organizer.resources import resource_path
from photo_organizer.storage import Library

VOCABULARY_RESOURCE = "album_vocabulary.json"
CACHE_FOLDER = "album_names"
# Two albums would get the same name: the smaller one takes its next best label if that label
# scores within this cosine margin of its best, else the name gets a number ("Beach 2").
NAME_MARGIN = 0.01
_TEXT_BATCH = 256


@dataclass(frozen=True)
class Vocabulary:
    names: list[str]
    prompts: list[list[str]]  # per label: its phrase in each template of its category
    digest: str  # of the file's content: a changed vocabulary is re-encoded

    @classmethod
    def load(cls, path: Path | None = None) -> "Vocabulary":
        raw = (path or resource_path(VOCABULARY_RESOURCE)).read_bytes()
        data = json.loads(raw)
        names: list[str] = []
        prompts: list[list[str]] = []
        for category in data["categories"].values():
            for label in category["labels"]:
                names.append(label["name"])
                prompts.append([template.format(label["text"]) for template in category["templates"]])
        return cls(names, prompts, hashlib.sha256(raw).hexdigest())


def encode_labels(encoder: TextEncoder, vocabulary: Vocabulary) -> np.ndarray:
    """(labels, dim) unit label embeddings: each the normalised mean over its prompts."""
    flat = [prompt for prompts in vocabulary.prompts for prompt in prompts]
    encoded = np.concatenate(
        [normalise_rows(encoder.encode_texts(flat[i : i + _TEXT_BATCH])) for i in range(0, len(flat), _TEXT_BATCH)]
    )
    means, start = [], 0
    for prompts in vocabulary.prompts:
        means.append(encoded[start : start + len(prompts)].mean(axis=0))
        start += len(prompts)
    return normalise_rows(np.stack(means))


def cache_path(cache_dir: Path, clip_key: str, vocabulary: Vocabulary) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", clip_key)[:60]
    key_digest = hashlib.sha256(clip_key.encode()).hexdigest()[:12]
    return cache_dir / CACHE_FOLDER / f"{slug}-{key_digest}-{vocabulary.digest[:12]}.npy"


class AlbumNamer:
    def __init__(self, names: Sequence[str], label_vectors: np.ndarray, clip_key: str) -> None:
        if len(names) != label_vectors.shape[0]:
            raise ValueError("one label vector per name")
        self.clip_key = clip_key  # the CLIP image embeddings these labels are compared with
        self.names = list(names)
        self.label_vectors = normalise_rows(label_vectors)

    def scores(self, image_vector: np.ndarray) -> np.ndarray:
        unit = image_vector / max(float(np.linalg.norm(image_vector)), 1e-12)
        return self.label_vectors @ unit.astype(np.float32)

    def best_name(self, image_vector: np.ndarray) -> str:
        return self.names[int(np.argmax(self.scores(image_vector)))]

    def name_many(self, mean_vectors: dict[int, np.ndarray], sizes: dict[int, int]) -> dict[int, str]:
        """Names for several albums, distinct where a close alternative exists; larger albums
        choose first."""
        taken: dict[str, int] = {}
        names: dict[int, str] = {}
        for album_id in sorted(mean_vectors, key=lambda a: (-sizes.get(a, 0), a)):
            scores = self.scores(mean_vectors[album_id])
            order = np.argsort(-scores)
            best = float(scores[order[0]])
            free = [i for i in order if self.names[i] not in taken and scores[i] >= best - NAME_MARGIN]
            label = self.names[int(free[0] if free else order[0])]
            taken[label] = taken.get(label, 0) + 1
            names[album_id] = label if taken[label] == 1 else f"{label} {taken[label]}"
        return names

    @classmethod
    def from_cache_or_encoder(
        cls, clip_key: str, cache_dir: Path, vocabulary: Vocabulary, make_encoder: Callable[[], TextEncoder]
    ) -> "AlbumNamer":
        """Label vectors from the cache, else from ``make_encoder()`` (then cached)."""
        cache_file = cache_path(cache_dir, clip_key, vocabulary)
        if cache_file.exists():
            vectors = np.load(cache_file)
            if vectors.shape[0] == len(vocabulary.names):
                return cls(vocabulary.names, vectors, clip_key)
        vectors = encode_labels(make_encoder(), vocabulary)
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(".partial.npy")
        np.save(partial, vectors.astype(np.float32))
        partial.replace(cache_file)
        return cls(vocabulary.names, vectors, clip_key)


def load_namer(models: ModelProvider, library: Library, clip_key: str) -> AlbumNamer:
    """The namer for the CLIP model stored under ``clip_key``. Raises ``WeightsMissingError``
    when the label vectors are not cached and the CLIP weights are not installed."""
    vocabulary = Vocabulary.load()

    def make_encoder() -> TextEncoder:
        from photo_organizer.search.query_encoding import QueryEncoder

        # A thousand prompts: the query-length text tower is about 5x faster than open_clip's
        # 77-token encode_text on a CPU.
        return QueryEncoder(
            clip_key,
            load_clip=lambda: models.clip(library),
            onnx_folder=models.home.model_exports(clip_key),
        ).text_encoder()

    return AlbumNamer.from_cache_or_encoder(clip_key, models.home.cache_dir, vocabulary, make_encoder)


def name_albums(library: Library, namer: AlbumNamer) -> dict[int, str | None]:
    """Set every album's automatic name from its members' mean CLIP image embedding (all at
    once, so names stay distinct). An album whose members have no CLIP embedding yet gets
    None (shown as "Album <id>"). Returns the names written."""
    albums = store.list_albums(library, include_hidden=True)
    clip_ids, clip_vectors = library.embeddings(namer.clip_key)
    row_of = {int(pid): row for row, pid in enumerate(clip_ids.tolist())}
    unit = normalise_rows(clip_vectors) if len(clip_ids) else clip_vectors
    means: dict[int, np.ndarray] = {}
    for album in albums:
        rows = [row_of[m.photo_id] for m in store.members(library, album.id) if m.photo_id in row_of]
        if rows:
            means[album.id] = unit[rows].mean(axis=0)
    named = namer.name_many(means, {a.id: a.size for a in albums})
    result: dict[int, str | None] = {a.id: named.get(a.id) for a in albums}
    library.set_album_auto_names(result)
    return result
