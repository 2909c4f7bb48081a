"""The media library through the API: upload (multipart, field `file`), list, delete when unused."""

from __future__ import annotations

from flask import current_app, request
from pydantic import BaseModel

from drip.domain.media import MediaRefused
from drip.models import MediaItem
from drip.services.media import library
from drip.web.api.auth import current_trainer
from drip.web.api.errors import ApiError, not_found
from drip.web.api.operations import operation


class MediaOut(BaseModel):
    """A library item: its public URL (`/m/<token>`), real type and size in bytes."""

    id: int
    url: str
    content_type: str
    bytes: int
    filename: str
    alt_text: str
    width: int | None = None
    height: int | None = None


class MediaList(BaseModel):
    """The trainer's library, newest first."""

    items: list[MediaOut]


class MediaDeleted(BaseModel):
    """The id of the deleted item."""

    id: int
    deleted: bool = True


def _out(item: MediaItem) -> MediaOut:
    return MediaOut(
        id=item.id,
        url=library.public_url(current_app.config, item.token),
        content_type=item.content_type,
        bytes=item.size,
        filename=item.filename,
        alt_text=item.alt_text,
        width=item.width,
        height=item.height,
    )


MAX_ALT = 300
UPLOAD_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "The image or PDF."},
        "alt_text": {
            "type": "string",
            "maxLength": MAX_ALT,
            "description": "What the picture shows, for screen readers.",
        },
    },
}


@operation("POST", "/media", summary="Upload an image or PDF", response=MediaOut, status=201, form=UPLOAD_FORM)
def upload_media() -> MediaOut:
    """Send `multipart/form-data` with the file in the field `file` (and an optional `alt_text`).
    JPEG, PNG, GIF and WebP images up to 5 MB, PDFs up to 20 MB; the type is read from the bytes,
    and images are re-encoded without their metadata (EXIF location), animated GIFs kept animated."""
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    if upload is None:
        raise ApiError(400, "Send multipart/form-data with the file in the field `file`.")
    alt_text = request.form.get("alt_text", "")
    if len(alt_text) > MAX_ALT:
        raise ApiError(422, f"alt_text: at most {MAX_ALT} characters.")
    try:
        item = library.add_to_library(current_trainer().id, upload.read(), upload.filename or "", alt_text)
    except MediaRefused as refused:
        raise ApiError(refused.status, str(refused)) from None
    return _out(item)


@operation("GET", "/media", summary="List the media library", response=MediaList)
def list_media() -> MediaList:
    """Every image and PDF in the trainer's library, newest first."""
    return MediaList(items=[_out(item) for item in library.items(current_trainer().id)])


@operation("DELETE", "/media/<int:media_id>", summary="Delete a library item", response=MediaDeleted, errors=(409,))
def delete_media(media_id: int) -> MediaDeleted:
    """Delete an item; 409 while a step or session uses it (`details` names them)."""
    item = library.owned_item(current_trainer().id, media_id)
    if item is None:
        raise not_found("media item")
    try:
        library.delete(item)
    except library.MediaInUse as in_use:
        raise ApiError(409, str(in_use)) from None
    return MediaDeleted(id=media_id)
