"""The `next_cursor` and `next` link of a page, keeping the caller's filters."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request

from drip.services.pages.paging import CursorInvalid, Page
from drip.web.api.errors import ApiError


def bad_cursor(error: CursorInvalid) -> ApiError:
    """A 404: the cursor has the documented form but names no page we handed out."""
    return ApiError(404, str(error), error="Not Found")


def links(page: Page) -> dict[str, str | None]:
    """next_cursor, and the URL of the next page (null on the last one)."""
    if page.next_cursor is None:
        return {"next_cursor": None, "next": None}
    args = {**request.args.to_dict(), "cursor": page.next_cursor}
    # From PUBLIC_BASE_URL, never the Host header: a forged Host would send the caller's next
    # request, bearer token and all, to another server.
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {"next_cursor": page.next_cursor, "next": f"{base}{request.path}?{urlencode(args)}"}
