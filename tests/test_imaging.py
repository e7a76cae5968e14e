from __future__ import annotations

import io

import pytest
from PIL import Image

from photo_organizer.errors import ImageLoadError
from photo_organizer.imaging import inspect_photo, load_rgb
from tests import photo_cases


def test_exif_orientation_date_and_camera(tmp_path):
    path = photo_cases.rotated_jpeg_with_date(tmp_path)
    metadata, thumbnail = inspect_photo(path)
    assert (metadata.width, metadata.height) == (200, 400)
    assert metadata.orientation == 6
    assert metadata.taken_at == "2023-07-14T09:30:05"
    assert metadata.camera == "Canon EOS R6"
    assert load_rgb(path).size == (200, 400)
    thumb = Image.open(io.BytesIO(thumbnail))
    assert thumb.format == "JPEG" and thumb.size[1] > thumb.size[0]


def test_alpha_is_composited_on_white(tmp_path):
    image = load_rgb(photo_cases.png_with_alpha(tmp_path))
    assert image.mode == "RGB"
    assert image.getpixel((10, 10)) == (255, 255, 255)
    assert image.getpixel((0, 0)) == (0, 0, 255)


@pytest.mark.parametrize("make", [photo_cases.cmyk_jpeg, photo_cases.png_16bit, photo_cases.animated_gif, photo_cases.heic])
def test_every_mode_becomes_rgb(tmp_path, make):
    image = load_rgb(make(tmp_path))
    assert image.mode == "RGB" and image.width > 0


def test_16bit_keeps_its_range(tmp_path):
    image = load_rgb(photo_cases.png_16bit(tmp_path))
    assert image.getpixel((0, 0))[0] < 10 and image.getpixel((63, 31))[0] > 245


@pytest.mark.parametrize(
    "make, reason",
    [
        (photo_cases.truncated_jpeg, "truncated"),
        (photo_cases.zero_byte, "empty file"),
        (photo_cases.text_named_jpg, "not an image"),
        (photo_cases.bomb_png, "too large to decode safely"),
    ],
)
def test_unreadable_files_raise_with_a_reason(tmp_path, make, reason):
    with pytest.raises(ImageLoadError, match=reason):
        inspect_photo(make(tmp_path))


def test_draft_mode_decodes_no_more_than_needed(tmp_path):
    from photo_organizer.sample_photos import render, save_jpeg

    path = save_jpeg(render("beach", (2000, 1500), 0), tmp_path / "big.jpg")
    small = load_rgb(path, min_side=224)
    assert 224 <= min(small.size) < 1500
    assert load_rgb(path).size == (2000, 1500)
