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


def add_security_headers(response: Response) -> Response:
    """Set CSP, framing, sniffing, referrer and (over HTTPS) HSTS headers, unless a view set its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    # frame-ancestors is the modern form; X-Frame-Options covers browsers that ignore it.
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Tracked links and tokens sit in our URLs: other sites get the origin at most.
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if served_over_https(current_app.config):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, errors and static files included."""
    app.after_request(add_security_headers)
