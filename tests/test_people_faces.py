"""People with the real dlib models on real faces (``../shared/data/faces``), and bad input.

One library is built for the module (the faces pass on 12 real photos and 8 generated ones,
about 15 s on one core: the 50-face photo alone needs 50 descriptors); tests that change it
work on a copy.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photo_organizer.cli.main import main
from photo_organizer.imaging import load_rgb
from photo_organizer.people import store
from photo_organizer.people.crops import face_crop_jpeg
from photo_organizer.people.detection import FaceAnalyzer, face_crop, scaled_for_detection
from photo_organizer.sample_photos import render, save_jpeg
from photo_organizer.storage import Library

# ../shared/data/faces beside the checkout; a worktree elsewhere names it in the environment.
FACES = Path(os.environ.get("PHOTO_ORGANIZER_TEST_FACES", Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"))
PEOPLE_FOLDERS = ("alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie")
pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason=f"the real face photos are not here ({FACES})")


def obama_face() -> tuple[Image.Image, tuple[float, float, float, float]]:
    image = load_rgb(FACES / "obama" / "obama.jpg")
    (face,) = FaceAnalyzer().find_faces(scaled_for_detection(image))
    return image, face.box


def make_cases(folder: Path) -> None:
    """Hard photos made from one real face (Obama's), and one without any face."""
    image, box = obama_face()
    tile = face_crop(image, box, side=160, margin=0.3)
    save_jpeg(render("beach", (640, 480), 1), folder / "no_face.jpg")
    grid = Image.new("RGB", (1600, 800))
    for n in range(50):
        grid.paste(tile, ((n % 10) * 160, (n // 10) * 160))
    save_jpeg(grid, folder / "fifty_faces.jpg")
    tiny = Image.new("RGB", (640, 480), (120, 130, 140))
    tiny.paste(face_crop(image, box, side=72, margin=0.3), (300, 200))  # a face of about 45 px
    save_jpeg(tiny, folder / "tiny_face.jpg")
    cut = round((box[0] + 0.2 * (box[2] - box[0])) * image.width)  # the left edge cuts the face
    save_jpeg(image.crop((cut, 0, image.width, image.height)), folder / "border_face.jpg")
    save_jpeg(image.convert("L"), folder / "grayscale.jpg")
    image.convert("CMYK").save(folder / "cmyk.jpg", "JPEG", quality=90)
    save_jpeg(image.transpose(Image.Transpose.ROTATE_90), folder / "rotated.jpg", orientation=6)
    save_jpeg(image, folder / "vanished.jpg")  # deleted between the scan and the faces pass


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("people")
    cases, home = root / "cases", root / "home"
    make_cases(cases)
    assert main(["--home", str(home), "index", "--no-embeddings", "--quiet", str(FACES), str(cases)]) == 0
    (cases / "vanished.jpg").unlink()
    assert main(["--home", str(home), "people", "scan", "--quiet"]) == 0
    return home, cases


@pytest.fixture
def library(indexed):
    with Library(indexed[0] / "library.db") as library:
        yield library


def faces_in(library: Library, path: Path) -> list[store.FaceRecord]:
    return store.faces_of_photo(library, library.photo_by_path(path).id)


def descriptor_of(library: Library, face_id: int) -> np.ndarray:
    table = store.face_table(library)
    return table.descriptors[int(np.flatnonzero(table.ids == face_id)[0])]


def test_each_person_is_one_person_and_people_stay_apart(library):
    person_of_folder = {}
    for folder in PEOPLE_FOLDERS:
        found = {face.person_id for path in sorted((FACES / folder).iterdir()) for face in faces_in(library, path)}
        assert len(found) == 1 and None not in found, folder
        person_of_folder[folder] = found.pop()
    assert len(set(person_of_folder.values())) == len(PEOPLE_FOLDERS)
    together = {face.person_id for face in faces_in(library, FACES / "group_or_single" / "two_people.jpg")}
    assert together == {person_of_folder["biden"], person_of_folder["obama"]}
    (alex,) = faces_in(library, FACES / "group_or_single" / "alex-lacamoire.png")
    assert alex.person_id == person_of_folder["alex_lacamoire"]


def test_the_face_seen_once_stays_unsorted(library):
    (face,) = faces_in(library, FACES / "group_or_single" / "lin-manuel-miranda.png")
    assert face.person_id is None


def test_bad_input_photos(library, indexed):
    _, cases = indexed
    counts = {path.name: len(faces_in(library, path)) for path in sorted(cases.iterdir())}
    assert counts == {
        "no_face.jpg": 0, "fifty_faces.jpg": 50, "tiny_face.jpg": 1, "border_face.jpg": 1,
        "grayscale.jpg": 1, "cmyk.jpg": 1, "rotated.jpg": 1,
    }
    boxes = [face.box for path in cases.iterdir() for face in faces_in(library, path)]
    assert all(0 <= left < right <= 1 and 0 <= top < bottom <= 1 for left, top, right, bottom in boxes)
    (border,) = faces_in(library, cases / "border_face.jpg")
    assert border.box[0] == 0.0  # clipped to the photo
    # no face, and the photo deleted before the pass, are recorded: neither is scanned again
    assert store.pending_photo_count(library) == 0 and store.scan_counts(library)["failed"] == 1


def test_hard_photos_of_one_face_join_its_person(library, indexed):
    _, cases = indexed
    (original,) = faces_in(library, FACES / "obama" / "obama.jpg")
    for name in ("grayscale.jpg", "cmyk.jpg", "rotated.jpg", "tiny_face.jpg", "fifty_faces.jpg"):
        for face in faces_in(library, cases / name):
            distance = np.linalg.norm(descriptor_of(library, face.id) - descriptor_of(library, original.id))
            assert distance < 0.45 and face.person_id == original.person_id, name
    (rotated,) = faces_in(library, cases / "rotated.jpg")
    assert np.allclose(rotated.box, original.box, atol=0.02)  # box in the upright photo


def test_face_crop_is_taken_from_the_upright_photo(library, indexed):
    _, cases = indexed
    (original,) = faces_in(library, FACES / "obama" / "obama.jpg")
    (rotated,) = faces_in(library, cases / "rotated.jpg")
    (other,) = faces_in(library, FACES / "rose_leslie" / "img1.jpg")
    crops = [np.asarray(Image.open(io.BytesIO(face_crop_jpeg(library, face.id))), dtype=np.float32)
             for face in (original, rotated, other)]
    assert crops[0].shape == (160, 160, 3)
    assert np.abs(crops[0] - crops[1]).mean() < 10 < np.abs(crops[0] - crops[2]).mean()


def run(home: Path, capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home), *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(home: Path, capsys, *argv: str) -> dict:
    code, out, err = run(home, capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_command_line_end_to_end(indexed, tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(indexed[0], home)
    listing = run_json(home, capsys, "people")
    assert set(listing) == {"people", "unsorted_faces", "photos_pending", "scanned"}
    status = run_json(home, capsys, "status")["people"]
    assert status == {"people": len(listing["people"]), "named": 0, "faces": listing["scanned"]["faces"],
                      "unsorted_faces": 1, "photos_scanned": listing["scanned"]["scanned"], "photos_pending": 0}
    assert listing["unsorted_faces"] == 1 and listing["photos_pending"] == 0
    assert all(set(person) == {"id", "name", "faces", "photo_ids", "cover_face_id"} for person in listing["people"])
    with Library(home / "library.db") as library:
        obama = faces_in(library, FACES / "obama" / "obama.jpg")[0].person_id
        biden = faces_in(library, FACES / "biden" / "biden.jpg")[0].person_id
    assert run(home, capsys, "people", "name", str(obama), "Barack Obama")[0] == 0
    shown = run_json(home, capsys, "people", "show", str(obama))
    assert shown["person"]["name"] == "Barack Obama" and shown["person"]["faces"] == 2 + 1 + 55
    face = next(f for f in shown["faces"] if f["path"].endswith("obama2.jpg"))
    assert set(face) == {"face_id", "photo_id", "path", "box", "person_id", "source"} and len(face["box"]) == 4

    assert run(home, capsys, "people", "reject", str(obama), str(face["face_id"]))[0] == 0
    assert run_json(home, capsys, "people", "show", str(obama))["person"]["faces"] == 57
    assert run(home, capsys, "people", "recluster")[0] == 0
    shown = run_json(home, capsys, "people", "show", str(obama))
    assert shown["person"]["name"] == "Barack Obama" and face["face_id"] not in {f["face_id"] for f in shown["faces"]}
    obama_photos = shown["person"]["photo_ids"]

    # search --person: stored vectors under the random-weights CLIP key and a cached query
    from photo_organizer.environment import RANDOM_WEIGHTS_ENV
    from photo_organizer.home import DataHome
    from photo_organizer.models.provider import ModelProvider
    from photo_organizer.models.registry import CLIP
    from photo_organizer.search.query_encoding import CACHE_FILE, TEXT, QueryCache
    from tests.conftest import RANDOM_WEIGHTS

    monkeypatch.setenv(RANDOM_WEIGHTS_ENV, "1")
    data_home = DataHome.open(home)
    with Library(home / "library.db") as library:
        key = ModelProvider(data_home, RANDOM_WEIGHTS).active_key(library, CLIP)
        ids = library.photo_ids()
        vectors = np.random.default_rng(0).standard_normal((len(ids), 16)).astype(np.float32)
        library.put_embeddings(key, ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    QueryCache(data_home.cache_dir / CACHE_FILE).put(key, TEXT, "a man", vectors[0] / np.linalg.norm(vectors[0]))
    found = run_json(home, capsys, "search", "a man", "--person", str(biden), "--no-cutoff")
    with Library(home / "library.db") as library:
        biden_photos = store.get_person(library, biden).photo_ids
    assert sorted(r["photo_id"] for r in found["results"]) == biden_photos
    refined = run_json(home, capsys, "search", "--session", str(found["session"]), "--like", str(biden_photos[0]))
    assert {r["photo_id"] for r in refined["results"]} <= set(biden_photos)

    assert run(home, capsys, "people", "merge", str(obama), str(biden))[0] == 0
    merged = run_json(home, capsys, "people", "show", str(obama))["person"]
    assert set(merged["photo_ids"]) == set(obama_photos) | set(biden_photos)
    assert run(home, capsys, "people", "show", str(biden))[0] == 1  # a message, not a traceback

    # a new photo of a known face joins its person during `index` (no CLIP weights: exit 3)
    monkeypatch.delenv(RANDOM_WEIGHTS_ENV)
    new = tmp_path / "new"
    new.mkdir()
    shutil.copy(FACES / "kit_harington" / "john1.jpeg", new / "john_again.jpeg")
    code, text, _ = run(home, capsys, "index", str(new))
    assert code == 3 and "Faces: 1 faces in 1 photos" in text and "1 joined a person" in text


def test_cnn_detector_setting_finds_the_same_face(library, indexed, capsys):
    image, box = obama_face()
    tile = face_crop(image, box, side=200, margin=0.3)  # small: the CNN detector is slow on a CPU
    (hog,) = FaceAnalyzer("hog").find_faces(scaled_for_detection(tile))
    (cnn,) = FaceAnalyzer("cnn").find_faces(scaled_for_detection(tile))
    assert np.linalg.norm(cnn.descriptor - hog.descriptor) < 0.2
    home = indexed[0]
    assert run(home, capsys, "people", "detector")[1].strip() == "face detector: hog"
    assert run(home, capsys, "people", "detector", "cnn")[0] == 0
    assert run(home, capsys, "people", "detector")[1].strip() == "face detector: cnn"
    assert run(home, capsys, "people", "detector", "hog")[0] == 0
