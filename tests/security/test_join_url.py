"""join_url is http(s) only, through the API and the admin form alike (finding 7)."""

from __future__ import annotations

import pytest

from drip.extensions import db
from drip.models import TrainingSession
from drip.services.programs.sessions import SessionInvalid, create_session, is_web_address
from tests.web.test_api_support import api  # noqa: F401  (fixture)

BAD = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://",
    "https://exa mple.com",
    "//evil.example",
    "vbscript:x",
    " javascript:alert(1)",
]
SESSION = {"title": "Mine", "starts_at": "2030-03-12T09:30:00Z", "ends_at": "2030-03-12T11:00:00Z", "timezone": "UTC"}


@pytest.mark.parametrize("url", BAD)
def test_the_api_refuses_a_join_url_that_is_not_a_web_address(api, url):  # noqa: F811
    response = api.post("/sessions", json={**SESSION, "join_url": url})
    assert response.status_code == 422
    assert any(problem["field"] == "join_url" for problem in response.get_json()["details"])
    assert db.session.query(TrainingSession).count() == 0


def test_the_api_refuses_it_on_patch_too(api):  # noqa: F811
    created = api.post("/sessions", json={**SESSION, "join_url": "https://meet.example.com/x"}).get_json()
    assert api.patch(f"/sessions/{created['id']}", json={"join_url": BAD[0]}).status_code == 422
    assert api.get(f"/sessions/{created['id']}").get_json()["join_url"] == "https://meet.example.com/x"


@pytest.mark.parametrize("url", BAD)
def test_the_shared_service_refuses_it_whoever_calls(app, trainer, url):
    from datetime import datetime, timezone

    starts = datetime(2030, 3, 12, 9, 30, tzinfo=timezone.utc)
    with pytest.raises(SessionInvalid) as refused:
        create_session(trainer, title="T", starts_at=starts, ends_at=starts, timezone="UTC", join_url=url)
    assert "join_url" in refused.value.errors
    assert not is_web_address(url)


def test_web_addresses_pass():
    assert is_web_address("https://meet.example.com/feedback?x=1") and is_web_address("http://zoom.us/j/1")


def test_next_links_come_from_public_base_url_not_the_host_header(app, client, trainer):
    from drip.services import accounts
    from tests.web.test_api_support import stored_sequence

    token = accounts.create_token(trainer)
    for n in range(3):
        stored_sequence(trainer, f"S{n}")
    page = client.get("/api/v1/sequences?limit=1", headers={"Authorization": f"Bearer {token}", "Host": "evil.example"})
    assert page.get_json()["next"].startswith(app.config["PUBLIC_BASE_URL"] + "/api/v1/sequences?")
