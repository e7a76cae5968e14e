from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from photo_organizer.albums.naming import Vocabulary, encode_labels
from photo_organizer.cli.main import main
from photo_organizer.home import DataHome
from photo_organizer.storage import Library
from tests.albums_helpers import CLIP_KEY, DINO_KEY, add_featured_photos, clustered_features, real_files


class HashingTextEncoder:
    """Fake CLIP text tower: a fixed pseudo-random unit vector per text."""

    model_key = CLIP_KEY
    dim = 32

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).standard_normal(self.dim)
            rows.append(vector / np.linalg.norm(vector))
        return np.stack(rows).astype(np.float32)


@pytest.fixture
def keys(monkeypatch):
    """Model keys as if DINOv2 weights were installed and CLIP weights were not."""
    installed = {"dino": DINO_KEY, "clip": None}
    monkeypatch.setattr("photo_organizer.models.provider.ModelProvider.active_key", lambda models, library, role: installed[role])
    return installed


@pytest.fixture
def photo_ids(home, tmp_path):
    library = Library(DataHome.open(home).database_path)
    features, _ = clustered_features([40, 35, 30], seed=61)
    paths = real_files(tmp_path / "photos", len(features))
    fingerprints = [f"fp{i}" for i in range(len(features))]
    fingerprints[1] = fingerprints[0]
    ids = add_featured_photos(library, features, root=str(tmp_path / "photos"), paths=paths, fingerprints=fingerprints)
    library.close()
    return ids


def run(home, capsys, *argv: str) -> tuple[int, str]:
    code = main(["--home", str(home), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def run_json(home, capsys, *argv: str) -> dict:
    code, text = run(home, capsys, *argv, "--json")
    assert code == 0, text
    return json.loads(text)


def test_albums_commands_end_to_end(home, keys, photo_ids, capsys, tmp_path):
    code, text = run(home, capsys, "albums")
    assert code == 0 and "No albums yet" in text

    code, text = run(home, capsys, "albums", "recluster")
    assert code == 0 and "3 albums from 105 photos" in text
    assert "models download ViT-B-32" in text and "albums name" in text  # how to get names

    listing = run_json(home, capsys, "albums")
    assert [a["size"] for a in listing["albums"]] == [40, 35, 30] and listing["unsorted"] == 0
    first, second, third = (a["id"] for a in listing["albums"])
    assert listing["albums"][0]["name"] == f"Album {first}"

    assert run(home, capsys, "albums", "rename", str(first), "Garden")[0] == 0
    assert run(home, capsys, "albums", "hide", str(third))[0] == 0
    code, text = run(home, capsys, "albums")
    assert "Garden" in text and f"Album {third}" not in text
    code, text = run(home, capsys, "albums", "--all")
    assert f"Album {third}  (hidden)" in text
    assert run(home, capsys, "albums", "unhide", str(third))[0] == 0

    shown = run_json(home, capsys, "albums", "show", str(first))
    assert shown["album"]["name"] == "Garden" and len(shown["photos"]) == 40
    assert {"id", "path", "strength", "source"} <= set(shown["photos"][0])
    assert run_json(home, capsys, "albums", "show", "unsorted")["photos"] == []

    removed = shown["photos"][0]["id"]
    assert run(home, capsys, "albums", "remove", str(first), str(removed))[0] == 0
    code, text = run(home, capsys, "albums", "merge", str(second), str(third))
    assert code == 0 and "65 photos" in text

    exported = run_json(home, capsys, "albums", "export", str(first), str(tmp_path / "out"))
    assert len(exported["written"]) == 39 and exported["failed"] == []
    linked = run_json(home, capsys, "albums", "export", str(first), str(tmp_path / "links"), "--link")
    assert linked["mode"] == "symlink" and len(linked["written"]) == 39

    report = run_json(home, capsys, "albums", "recluster")
    assert report["matched_albums"] == 2 and report["new_albums"] == 0
    after = run_json(home, capsys, "albums")
    assert {a["name"]: a["size"] for a in after["albums"]} == {"Garden": 39, f"Album {second}": 65}
    assert after["unsorted"] == 1  # the removed photo stays out of its album

    assert run(home, capsys, "albums", "granularity", "fewer")[0] == 0
    assert run_json(home, capsys, "albums")["granularity"] == "fewer"
    code, text = run(home, capsys, "albums", "show", "999")
    assert code == 1 and "no album with id 999" in text


def test_album_names_with_clip(home, keys, photo_ids, capsys, monkeypatch):
    run(home, capsys, "albums", "recluster")
    keys["clip"] = CLIP_KEY
    encoder = HashingTextEncoder()
    monkeypatch.setattr("photo_organizer.models.provider.ModelProvider.clip", lambda models, library: encoder)
    vocabulary = Vocabulary.load()
    labels = encode_labels(encoder, vocabulary)
    wanted = [vocabulary.names.index(n) for n in ("Cats", "Receipts", "Beach")]
    library = Library(home / "library.db")
    for album_index, album in enumerate(library.query("SELECT id FROM albums ORDER BY size DESC")):
        rows = library.query("SELECT photo_id FROM album_members WHERE album_id = ?", [album["id"]])
        members = [r["photo_id"] for r in rows]
        library.put_embeddings(CLIP_KEY, members, np.repeat(labels[wanted[album_index]][None], len(members), axis=0))
    library.close()

    code, text = run(home, capsys, "albums", "name")
    assert code == 0 and "Named 3 albums" in text
    assert [a["name"] for a in run_json(home, capsys, "albums")["albums"]] == ["Cats", "Receipts", "Beach"]
    monkeypatch.setattr("photo_organizer.models.provider.ModelProvider.clip", lambda models, library: pytest.fail("not cached"))
    assert run(home, capsys, "albums", "name")[0] == 0  # label vectors come from the cache now


def test_albums_need_dino_weights(home, capsys, monkeypatch):
    monkeypatch.setattr("photo_organizer.models.provider.ModelProvider.active_key", lambda models, library, role: None)
    code, text = run(home, capsys, "albums", "recluster")
    assert code == 3 and "models download vit_base_patch14_dinov2" in text


def test_duplicates_command(home, keys, photo_ids, capsys):
    report = run_json(home, capsys, "duplicates")
    assert [g["photo_ids"] for g in report["exact"]] == [photo_ids[:2]]
    assert report["threshold"] == 0.95 and report["model_key"] == DINO_KEY
    code, text = run(home, capsys, "duplicates", "--features", "clip")
    assert code == 0 and "Exact duplicates (same content): 1 groups" in text
    assert "Near-identical shots need the clip features" in text and "Nothing was deleted" in text


def test_photos_put_in_albums_by_hand_survive_reclustering(home, keys, photo_ids, capsys):
    run(home, capsys, "albums", "recluster")
    first, second, _third = (a["id"] for a in run_json(home, capsys, "albums")["albums"])
    moved = run_json(home, capsys, "albums", "show", str(second))["photos"][0]["id"]

    code, text = run(home, capsys, "albums", "create", "--name", "Keepers")
    assert code == 0 and "with 0 photos" in text
    keepers = next(a for a in run_json(home, capsys, "albums")["albums"] if a["name"] == "Keepers")
    assert keepers["size"] == 0
    code, text = run(home, capsys, "albums", "add", str(keepers["id"]), str(moved), str(photo_ids[0]))
    assert code == 0 and "Keepers" in text and "2 photos" in text
    code, text = run(home, capsys, "albums", "add", str(first), str(moved))
    assert code == 0

    run(home, capsys, "albums", "recluster")
    sizes = {a["id"]: a for a in run_json(home, capsys, "albums", "--all")["albums"]}
    keepers_photos = {p["id"] for p in run_json(home, capsys, "albums", "show", str(keepers["id"]))["photos"]}
    assert keepers_photos == {moved, photo_ids[0]} and sizes[keepers["id"]]["name"] == "Keepers"
    assert moved in {p["id"] for p in run_json(home, capsys, "albums", "show", str(first))["photos"]}
    code, text = run(home, capsys, "albums", "add", str(first), "999999")
    assert code == 1 and "no photo with id 999999" in text
    code, text = run(home, capsys, "albums", "create", "--name", "  ")
    assert code == 1 and "name" in text
