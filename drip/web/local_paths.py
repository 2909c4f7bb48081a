"""Where a form may send the trainer back to: a page of this site, rebuilt from the URL map.

A `back` field is never trusted as a string: it is matched against the app's routes and the URL is
built again from the route found, so only a path of this site can come out ("/\\t/evil.example/x"
matches no route; a browser would have read it as //evil.example/x).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

MAX_BACK = 2000


def local_page(raw: str | None, default: str) -> str:
    """The GET page of this site `raw` names (path and query), rebuilt with url_for; `default` otherwise."""
    text = raw or ""
    if not text.startswith("/") or len(text) > MAX_BACK or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return default
    path, _, query = text.partition("?")
    adapter = current_app.url_map.bind(request.host, url_scheme=request.scheme)
    try:
        endpoint, args = adapter.match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return default
    # url_for's own options (_external, _scheme, _anchor) are never taken from the field.
    params = {key: value for key, value in parse_qsl(query) if key not in args and not key.startswith("_")}
    try:
        return url_for(endpoint, **args, **params)
    except Exception:  # a route url_for cannot build again: not a page to go back to
        return default
