"""Checking a file for the media library: its real type from its bytes, images re-encoded without metadata.

Pure: bytes in, bytes out (Pillow decodes and encodes; nothing is read from disk or the network).
What a file is comes from its content, never its name or the Content-Type a client claims; an image
is decoded and written again, so EXIF (the GPS location a phone adds), comments and text chunks are
gone, and an animated GIF or WebP keeps every frame and its timing.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

MB = 1024 * 1024
IMAGE_LIMIT = 5 * MB  # an MMS carries at most 5 MB; an email image larger than this is unkind
PDF_LIMIT = 20 * MB
MAX_PIXELS = 40_000_000  # larger images are decompression bombs, not photos
PICTURES_PER_MESSAGE = 10  # a learner's MMS or email: pictures kept beyond this are links only
THUMBNAIL = (240, 240)


@dataclass(frozen=True)
class MediaType:
    """A kind of file the library accepts: its MIME type, kind, size limit and extension."""

    content_type: str
    kind: str  # "image" or "pdf"
    limit: int
    extension: str


# Pillow's format name (or "PDF") → what we store. The one table of accepted types.
TYPES: dict[str, MediaType] = {
    "JPEG": MediaType("image/jpeg", "image", IMAGE_LIMIT, "jpg"),
    "PNG": MediaType("image/png", "image", IMAGE_LIMIT, "png"),
    "GIF": MediaType("image/gif", "image", IMAGE_LIMIT, "gif"),
    "WEBP": MediaType("image/webp", "image", IMAGE_LIMIT, "webp"),
    "PDF": MediaType("application/pdf", "pdf", PDF_LIMIT, "pdf"),
}
ACCEPTED = "JPEG, PNG, GIF or WebP images up to 5 MB, PDF slides up to 20 MB"


class MediaRefused(ValueError):
    """A file the library does not take: `status` is 413 (too large) or 422 (not an accepted file)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CheckedFile:
    """A file fit to store and serve: the bytes to keep (re-encoded for images) and what they are."""

    data: bytes
    media_type: MediaType
    width: int | None = None
    height: int | None = None
    frames: int = 1
    thumbnail: bytes | None = None  # a small JPEG or PNG for the admin's lists; None for a PDF

    @property
    def content_type(self) -> str:
        """The MIME type the file is served with."""
        return self.media_type.content_type


@dataclass(frozen=True)
class ReceivedPicture:
    """A picture a learner emailed, as received (checked later, by the worker that keeps it)."""

    filename: str
    content_type: str
    data: bytes

    def stored(self) -> dict:
        """The picture as a stored webhook's JSON payload carries it (base64)."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode(),
        }

    @classmethod
    def from_stored(cls, entry: dict) -> "ReceivedPicture":
        """The picture back from a stored payload."""
        return cls(
            str(entry.get("filename") or ""), str(entry.get("content_type") or ""), base64.b64decode(entry["data"])
        )


def is_picture_type(content_type: str) -> bool:
    """True for a declared type worth keeping as a picture (the bytes are checked again when kept)."""
    return content_type.lower().split(";")[0].strip() in {t.content_type for t in TYPES.values() if t.kind == "image"}


def _too_large(limit: int, what: str) -> MediaRefused:
    return MediaRefused(413, f"{what} is too large: the limit is {limit // MB} MB.")


def check_file(data: bytes, *, images_only: bool = False) -> CheckedFile:
    """The file checked and cleaned, or MediaRefused saying why (413 over the size limit, 422 otherwise)."""
    if not data:
        raise MediaRefused(422, "The file is empty.")
    if data.startswith(b"%PDF-"):
        if images_only:
            raise MediaRefused(422, "Only pictures are kept here (JPEG, PNG, GIF or WebP).")
        return _check_pdf(data)
    return _check_image(data)


def _check_pdf(data: bytes) -> CheckedFile:
    if len(data) > PDF_LIMIT:
        raise _too_large(PDF_LIMIT, "This PDF")
    # A PDF ends with %%EOF (allowing trailing whitespace or a few bytes of padding).
    if b"%%EOF" not in data[-1024:]:
        raise MediaRefused(422, "This file starts like a PDF but is not a complete one.")
    return CheckedFile(data=data, media_type=TYPES["PDF"])


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            kind = TYPES.get(image.format or "")
            if kind is None or kind.kind != "image":
                raise MediaRefused(422, f"This is not a file the library takes ({ACCEPTED}).")
            if image.width * image.height > MAX_PIXELS:
                raise MediaRefused(413, "This image has too many pixels: keep it under 40 megapixels.")
            Image.open(io.BytesIO(data)).verify()  # verify() spends the image it checks: a fresh one
    except MediaRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise MediaRefused(422, f"This is not a file the library takes ({ACCEPTED}).") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise MediaRefused(422, "This image is damaged and cannot be read.") from error
    return image


def _check_image(data: bytes) -> CheckedFile:
    image = _open(data)
    kind = TYPES[image.format]
    if len(data) > kind.limit:
        raise _too_large(kind.limit, "This image")
    try:
        cleaned, frames = _reencode(image)
        thumbnail = _thumbnail(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise MediaRefused(422, "This image is damaged and cannot be read.") from error
    if len(cleaned) > kind.limit:
        raise _too_large(kind.limit, "This image")
    return CheckedFile(cleaned, kind, image.width, image.height, frames, thumbnail)


def _reencode(image: Image.Image) -> tuple[bytes, int]:
    """The image written again in its own format with no metadata; every frame of an animation kept."""
    out = io.BytesIO()
    frames = getattr(image, "n_frames", 1)
    if image.format in ("GIF", "WEBP") and frames > 1:
        sequence = [frame.copy() for frame in ImageSequence.Iterator(image)]
        for frame in sequence:
            frame.info.pop("comment", None)
            frame.info.pop("exif", None)
            frame.info.pop("xmp", None)
        first = sequence[0]
        options = {"save_all": True, "append_images": sequence[1:], "loop": image.info.get("loop", 0)}
        options["duration"] = [frame.info.get("duration", 100) for frame in sequence]
        if image.format == "WEBP":
            options["lossless"] = True
        first.save(out, format=image.format, **options)
        return out.getvalue(), frames
    image.load()
    still = ImageOps.exif_transpose(image)  # keep how the phone meant it to stand, since EXIF goes
    still.info = {}
    options: dict = {}
    if image.format == "JPEG":
        still = still.convert("RGB") if still.mode not in ("RGB", "L") else still
        options = {"quality": 88, "optimize": True}
    elif image.format == "WEBP":
        options = {"quality": 88}
    elif image.format == "GIF" and "transparency" in image.info:
        options = {"transparency": image.info["transparency"]}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc  # colours, not a location: kept
    still.save(out, format=image.format, **options)
    return out.getvalue(), 1


def _thumbnail(image: Image.Image) -> bytes:
    """A small still of the first frame for the admin's lists."""
    image.seek(0)
    small = ImageOps.exif_transpose(image.copy())
    small.thumbnail(THUMBNAIL)
    out = io.BytesIO()
    if small.mode in ("RGBA", "LA", "P"):
        small.convert("RGBA").save(out, format="PNG", optimize=True)
    else:
        small.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()
