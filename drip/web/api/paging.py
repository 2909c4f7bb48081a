"""The `next_cursor` and `next` link of a page, keeping the caller's filters."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from drip.services.pages.paging import CursorInvalid, Page
from drip.web.api.errors import ApiError
from drip.web.api.schemas import FieldProblem


def bad_cursor(error: CursorInvalid) -> ApiError:
    """A 422 naming the cursor parameter."""
    return ApiError(422, [FieldProblem(field="cursor", message=str(error))], error="Invalid query parameters")


def links(page: Page) -> dict[str, str | None]:
    """next_cursor, and the URL of the next page (null on the last one)."""
    if page.next_cursor is None:
        return {"next_cursor": None, "next": None}
    args = {**request.args.to_dict(), "cursor": page.next_cursor}
    return {"next_cursor": page.next_cursor,
            "next": f"{request.base_url}?{urlencode(args)}"}
