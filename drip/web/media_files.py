"""Media served to the world at /m/<token>: Twilio fetches it for MMS, mail clients and phones load it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from drip.services.media import library

bp = Blueprint("media_files", __name__)
# The bytes behind a token never change (a new upload gets a new token): caches may keep them a year.
CACHE = "public, max-age=31536000, immutable"


def _send(token: str, data: bytes | None, content_type: str, filename: str):
    if data is None:
        abort(404)
    etag = f'"{token[:16]}-{len(data)}"'
    response = current_app.response_class(status=304 if request.if_none_match.contains(etag.strip('"')) else 200)
    if response.status_code == 200:
        response.set_data(data)
    response.headers["Content-Type"] = content_type  # only the types the library accepts: never HTML
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = CACHE
    response.headers["ETag"] = etag
    safe = "".join(ch for ch in filename if ch.isascii() and ch.isprintable() and ch not in '"\\;') or "file"
    response.headers["Content-Disposition"] = f'inline; filename="{safe}"'
    return response


@bp.get("/m/<token>")
def serve(token: str):
    """The file itself, as stored (images re-encoded on upload)."""
    item = library.served(token)
    if item is None:
        abort(404)
    return _send(token, item.data, item.content_type, item.filename)


@bp.get("/m/<token>/thumbnail")
def thumbnail(token: str):
    """A small still of an image, for the admin's lists."""
    item = library.served(token, thumbnail=True)
    if item is None or item.thumbnail is None:
        abort(404)
    kind = "image/png" if item.thumbnail.startswith(b"\x89PNG") else "image/jpeg"
    return _send("t" + token, item.thumbnail, kind, "thumbnail")
