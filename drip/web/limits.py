"""Request body limits per route, enforced before anything reads the body (413)."""

from __future__ import annotations

from flask import Flask, abort, request

KB, MB = 1024, 1024 * 1024
# (path prefix, largest body in bytes), most specific first. By path rather than endpoint so the
# limits hold whatever view ends up serving a webhook.
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/webhooks/twilio/", 64 * KB),  # a Twilio form is a few hundred bytes
    ("/webhooks/sendgrid/inbound", 8 * MB),  # a reply email with a small attachment or two
    ("/webhooks/sendgrid/events", 4 * MB),  # SendGrid batches events into one JSON array
    ("/api/v1/media", 21 * MB),  # a 20 MB PDF plus the multipart envelope
    ("/api/", 2 * MB),  # a thousand learners fit in a fraction of this
    ("/learners/import", 11 * MB),  # a 10 MB CSV plus the multipart envelope
    ("/media", 21 * MB),  # the library's upload form: a 20 MB PDF plus the envelope
    ("/simulator/text", 6 * MB),  # a text with a picture of up to 5 MB
    ("/l/", 4 * KB),  # a tracked link is a GET: no body to speak of
    ("/p/", 16 * KB),  # keeping answers private: a CSRF token and nothing else
    ("/c/", 16 * KB),  # a post from the cohort page: at most 1,600 characters and a form token
)
FORM_LIMIT = 512 * KB
RAW_EMAIL_PATH = "/webhooks/sendgrid/inbound"  # every other form: an email step body is at most 100 KB


def body_limit(path: str) -> int:
    """The largest request body accepted on this path."""
    return next((limit for prefix, limit in BODY_LIMITS if path.startswith(prefix)), FORM_LIMIT)


def refuse_oversized_bodies() -> None:
    """Answer 413 from the Content-Length alone, and cap what a chunked body may stream."""
    limit = body_limit(request.path)
    # Form parsing and get_data() stop at this many bytes, also without a Content-Length.
    request.max_content_length = limit
    if request.path == RAW_EMAIL_PATH:
        # A "Send Raw" Inbound Parse post carries the whole email, photos included, in one field
        # (`email`): that one may be as large as the body. The view holds the others to Flask's
        # usual cap of a field (MAX_FORM_MEMORY_SIZE, 500 KB).
        request.max_form_memory_size = limit
    if request.content_length is not None:
        if request.content_length > limit:
            abort(413, f"Send at most {limit // KB} KB to this address.")
    elif request.environ.get("wsgi.input_terminated"):
        # A chunked body: Werkzeug would silently cut it at the limit, so read up to the limit
        # (kept for the view) and refuse it if one more byte follows.
        request.get_data(cache=True)
        if request.environ["wsgi.input"].read(1):
            abort(413, f"Send at most {limit // KB} KB to this address.")


def init_app(app: Flask) -> None:
    """Check sizes first: before CSRF, login or signature checks read the body."""
    app.config["MAX_CONTENT_LENGTH"] = max(limit for _, limit in BODY_LIMITS)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_bodies)
