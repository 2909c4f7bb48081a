"""Checking a file for the library: the type from its bytes, metadata gone, animation kept, sizes enforced."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from drip.domain.media import IMAGE_LIMIT, MediaRefused, check_file
from tests.support.images import animated_gif, jpeg_with_location, minimal_pdf, noisy_png, png


def test_a_jpeg_loses_its_location_and_camera_but_keeps_its_picture():
    original = jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif()  # the fixture does carry EXIF
    checked = check_file(original)
    assert checked.content_type == "image/jpeg"
    assert (checked.width, checked.height) == (64, 48)
    assert dict(Image.open(io.BytesIO(checked.data)).getexif()) == {}
    assert b"SecretPhone" not in checked.data and b"Exif" not in checked.data
    assert Image.open(io.BytesIO(checked.data)).getpixel((10, 10))[0] > 150  # still red


def test_an_animated_gif_keeps_every_frame_and_its_timing_but_not_its_comment():
    checked = check_file(animated_gif(3))
    image = Image.open(io.BytesIO(checked.data))
    assert checked.content_type == "image/gif" and checked.frames == 3 and image.n_frames == 3
    durations = []
    for index in range(3):
        image.seek(index)
        durations.append(image.info["duration"])
    assert durations == [100, 200, 300]
    assert b"made in the test" not in checked.data


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"\x89PNG\r\n\x1a\n not really a png",
        b"%PDF-1.7 but cut short",
        b"",
    ],
)
def test_what_is_not_an_accepted_file_is_refused_with_422(data):
    with pytest.raises(MediaRefused) as refused:
        check_file(data)
    assert refused.value.status == 422 and str(refused.value)


def test_an_image_over_5_mb_is_refused_with_413():
    data = noisy_png(6)
    assert len(data) > IMAGE_LIMIT
    with pytest.raises(MediaRefused) as refused:
        check_file(data)
    assert refused.value.status == 413 and "5 MB" in str(refused.value)


def test_a_pdf_is_kept_as_it_is_and_a_picture_only_place_refuses_it():
    assert check_file(minimal_pdf()).content_type == "application/pdf"
    with pytest.raises(MediaRefused):
        check_file(minimal_pdf(), images_only=True)


def test_a_thumbnail_is_small():
    checked = check_file(png((1200, 800)))
    thumb = Image.open(io.BytesIO(checked.thumbnail))
    assert max(thumb.size) <= 240
