"""Bounded memory on image bombs (issue 18.13): a huge image is decoded reduced where its format
allows, refused before decoding with a reason where the whole decode would not fit the memory
budget, and indexing a folder of them stays small whatever the folder holds. Peaks are measured
in a fresh process, so nothing else this test run did counts."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from photo_organizer import imaging
from photo_organizer.errors import ImageLoadError
from photo_organizer.imaging import DECODE_MEMORY_BUDGET, decode_cost, inspect_photo, load_rgb
from photo_organizer.sample_photos import exif_bytes, render, save_jpeg
from tests import image_bombs

pytestmark = pytest.mark.timeout(300)
pytest.importorskip("resource")  # peaks are read with getrusage (not on Windows)

# The budget, the interpreter and a few reduced images, with room to spare. Before the budget
# the WebP bomb took 4.7 GB and the 12000x12000 PNG 1.7 GB; with the budget but Pillow's
# 16 MB pixel blocks, which glibc kept in each thread's heap once freed, the folder took 1.0 GB.
PEAK_BOUND = DECODE_MEMORY_BUDGET + 256 * 2**20
TOO_LARGE = "too large to decode within the memory limit"

_INSPECT_ONE = """
from photo_organizer.errors import ImageLoadError
from photo_organizer.imaging import inspect_photo
try:
    metadata, thumbnail = inspect_photo(sys.argv[1])
    outcome = {"size": [metadata.width, metadata.height], "thumbnail": len(thumbnail)}
except ImageLoadError as error:
    outcome = {"refused": str(error)}
"""

_INDEX_FOLDER = """
from pathlib import Path
from photo_organizer.indexer import index_library
from photo_organizer.progress import drain
from photo_organizer.storage import Library, path_from_db
from photo_organizer.thumbnails import ThumbnailCache
folder, data = Path(sys.argv[1]), Path(sys.argv[2])
library = Library(data / "library.db")
thumbnails = ThumbnailCache(data / "thumbnails.db")
library.add_root(folder)
drain(index_library(library, thumbnails, workers=8))
rows = library.query("SELECT path, state, error FROM photos")
outcome = {"photos": {Path(path_from_db(r["path"])).name: [r["state"], r["error"]] for r in rows}}
"""


def run_fresh(body: str, *args: Path) -> dict:
    """Run ``body`` in a new interpreter; it sets ``outcome``, to which its peak RSS is added."""
    script = (
        "import json, resource, sys\n"
        + body
        + "\noutcome['peak'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"
        + " * (1 if sys.platform == 'darwin' else 1024)\nprint(json.dumps(outcome))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=240, check=False
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def test_a_huge_jpeg_makes_a_thumbnail_from_a_small_draft(tmp_path):
    outcome = run_fresh(_INSPECT_ONE, image_bombs.jpeg_bomb(tmp_path, 16383, 15000))
    assert outcome["size"] == [16383, 15000] and outcome["thumbnail"] > 0
    assert outcome["peak"] < PEAK_BOUND


def test_a_large_png_within_the_budget_makes_a_thumbnail(tmp_path):
    outcome = run_fresh(_INSPECT_ONE, image_bombs.png_bomb(tmp_path, 8000, 8000))
    assert outcome["size"] == [8000, 8000] and outcome["thumbnail"] > 0
    assert outcome["peak"] < PEAK_BOUND


@pytest.mark.parametrize(
    "make, shown",
    [
        (lambda folder: image_bombs.webp_bomb(folder, 16383, 15000), "16383x15000 WebP"),
        (lambda folder: image_bombs.png_bomb(folder, 12000, 12000), "12000x12000 PNG"),
    ],
    ids=["34-byte WebP", "12000x12000 PNG"],
)
def test_a_bomb_beyond_the_budget_is_refused_before_decoding(tmp_path, make, shown):
    outcome = run_fresh(_INSPECT_ONE, make(tmp_path))
    assert TOO_LARGE in outcome["refused"] and shown in outcome["refused"]
    assert outcome["peak"] < PEAK_BOUND


def test_indexing_a_folder_of_bombs_stays_within_the_bound(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    image_bombs.webp_bomb(photos)
    image_bombs.png_bomb(photos, 12000, 12000).rename(photos / "huge.png")
    image_bombs.jpeg_bomb(photos)
    large = image_bombs.png_bomb(tmp_path, 8000, 8000)  # 256 MB decoded: two fit the budget
    for copy in range(6):
        shutil.copy(large, photos / f"large{copy}.png")
    save_jpeg(render("beach", (640, 480), 0), photos / "beach.jpg")
    data = tmp_path / "data"
    data.mkdir()

    outcome = run_fresh(_INDEX_FOLDER, photos, data)

    states = outcome["photos"]
    assert states["bomb.webp"][0] == "error" and TOO_LARGE in states["bomb.webp"][1]
    assert states["huge.png"][0] == "error" and TOO_LARGE in states["huge.png"][1]
    read = {name for name, (state, _) in states.items() if state == "ok"}
    assert read == {"bomb.jpg", "beach.jpg"} | {f"large{copy}.png" for copy in range(6)}
    assert outcome["peak"] < PEAK_BOUND


@pytest.mark.parametrize(
    "image_format, mode, size",
    [
        ("TIFF", "RGB", (8688, 5792)),  # 50 MP camera export
        ("PNG", "RGBA", (8688, 5792)),
        ("HEIF", "RGB", (8064, 6048)),  # a 48 MP phone photo without a large thumbnail
        ("WEBP", "RGB", (6000, 4000)),
    ],
)
def test_camera_sized_images_fit_the_budget(image_format, mode, size):
    assert decode_cost(image_format, mode, size, reduced=True) <= DECODE_MEMORY_BUDGET


def test_a_progressive_jpeg_counts_its_full_size_coefficients(tmp_path, monkeypatch):
    picture = render("snow", (2000, 1500), 1)
    baseline = save_jpeg(picture, tmp_path / "baseline.jpg")
    progressive = tmp_path / "progressive.jpg"
    picture.save(progressive, progressive=True)
    monkeypatch.setattr(imaging._decode_memory, "limit", 8 * 2**20)  # the drafts fit, 18 MB of coefficients do not

    assert min(load_rgb(baseline, min_side=224).size) >= 224
    with pytest.raises(ImageLoadError, match=TOO_LARGE):
        load_rgb(progressive, min_side=224)


def test_a_reduced_decode_keeps_orientation_and_enough_pixels(tmp_path):
    path = tmp_path / "rotated.png"
    image = render("beach", (1200, 600), 2)
    image.save(path, exif=exif_bytes(orientation=6))

    upright = load_rgb(path, min_side=224)
    assert upright.width < upright.height  # turned a quarter, as displayed
    assert 224 <= upright.width < 2 * 224
    metadata, thumbnail = inspect_photo(path)
    assert (metadata.width, metadata.height, metadata.orientation) == (600, 1200, 6)
    assert Image.open(io.BytesIO(thumbnail)).height == imaging.THUMBNAIL_SIDE


@pytest.mark.parametrize(
    "options",
    [{"quality": 80}, {"lossless": True}, {"save_all": True, "append_images": [Image.new("RGB", (100, 100), "red")]}],
    ids=["lossy", "lossless", "animated"],
)
def test_every_kind_of_webp_is_measured_before_its_decoder_is_made(tmp_path, monkeypatch, options):
    path = tmp_path / "small.webp"
    Image.new("RGB", (100, 100), "blue").save(path, **options)
    monkeypatch.setattr(imaging._decode_memory, "limit", 64 * 2**10)  # 100x100 needs 160 kB
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: pytest.fail("the WebP decoder was made"))
    with pytest.raises(ImageLoadError, match=f"{TOO_LARGE}: this 100x100 WebP"):
        load_rgb(path, min_side=32)
