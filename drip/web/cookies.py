"""The session cookie, only where a person's browser is: providers and scrapers carry none."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

# A provider's webhook or a health check never has a session: building and signing an empty one is
# a tenth of a webhook's cost under a storm. These paths (whose errors are JSON, never a page that
# would put a CSRF token in the session) get Flask's read-only null session.
STATELESS_PREFIXES = ("/webhooks/", "/healthz")


class BrowserSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except on the stateless paths."""

    def open_session(self, app, request):
        if request.path.startswith(STATELESS_PREFIXES):
            return None  # Flask substitutes its null session: readable, never saved
        return super().open_session(app, request)
