"""Security headers on every response: what the browser may load, frame and send on."""

from __future__ import annotations

from flask import Flask, Response, current_app

# No inline script anywhere (scripts live in static/js; JSON data blocks are not executed), so
# an injected <script> or on* handler never runs. Inline styles stay allowed: templates set
# widths and colours computed on the server, and CSS cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def served_over_https(config) -> bool:
    """True when the outside world reaches us over HTTPS (PUBLIC_BASE_URL says so)."""
    return str(config.get("PUBLIC_BASE_URL", "")).lower().startswith("https://")


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    # frame-ancestors is the modern form; X-Frame-Options covers browsers that ignore it.
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Content-Type-Options", "nosniff"),
    # Tracked links and tokens sit in our URLs: other sites get the origin at most.
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)


def security_headers(config) -> tuple[tuple[str, str], ...]:
    """The headers every response carries: CSP, framing, sniffing, referrer, and HSTS over HTTPS."""
    if served_over_https(config):
        return (*SECURITY_HEADERS, ("Strict-Transport-Security", HSTS))
    return SECURITY_HEADERS


def add_security_headers(response: Response) -> Response:
    """Set the security headers, unless a view set its own."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}  # one pass: every response pays for this
    for name, value in security_headers(current_app.config):
        if name.lower() not in present:
            headers.add(name, value)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, errors and static files included."""
    app.after_request(add_security_headers)
