"""Security headers on every response (issue 16, finding 8)."""

from __future__ import annotations

from drip.web.headers import CONTENT_SECURITY_POLICY


def test_every_kind_of_response_carries_the_headers(app, client, logged_in):
    for path in ("/login", "/", "/static/js/confirm.js", "/api/v1/openapi.json", "/no-such-page", "/healthz"):
        response = client.get(path)
        response.close()  # static files are streamed from an open file
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert "Strict-Transport-Security" not in response.headers, path  # served over http here


def test_the_policy_allows_no_inline_script_and_no_foreign_frame():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"


def test_hsts_when_served_over_https(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://drip.example.org"
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_holds_inline_script_or_handlers():
    import re

    from drip import TEMPLATES

    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text()
        # <script src=...> and JSON data blocks are fine; anything else would be refused by the CSP.
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+=\"", html), template
