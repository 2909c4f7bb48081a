"""Small images made in memory for the media tests: a JPEG with a GPS location, an animated GIF, a big PNG."""

from __future__ import annotations

import io
import os

from PIL import Image

GPS_IFD = 0x8825
MAKE = 0x010F


def jpeg_with_location(size: tuple[int, int] = (64, 48), make: str = "SecretPhone") -> bytes:
    """A JPEG whose EXIF carries a GPS position and the camera maker."""
    exif = Image.Exif()
    exif[MAKE] = make
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (32, 32), colour=(0, 120, 200)) -> bytes:
    """A plain PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    """A GIF of `frames` frames of different colours and durations, with a comment."""
    images = [Image.new("RGB", (24, 24), (i * 70 % 256, 20, 90)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=[100 * (i + 1) for i in range(frames)],
        loop=0,
        comment=b"made in the test",
    )
    return out.getvalue()


def noisy_png(megabytes: float = 6) -> bytes:
    """A PNG of random pixels at least this large (noise does not compress)."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5) + 16
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=0)
    return out.getvalue()


def minimal_pdf() -> bytes:
    """A one-page PDF with nothing on it."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
