"""Finding 5: `back="/\\t/evil.example/x"` on re-filing answered `Location: //evil.example/x`.

The string check passed it (it starts with "/" and not "//"), then URL parsing dropped the tab.
Now `back` is matched against the URL map and rebuilt: only a page of this site comes out.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drip.extensions import db
from drip.models import Reply
from tests.conftest import csrf_token
from tests.support.inbound_factory import enrol, make_learner, post_sms
from tests.web.test_inbox import past_session


@pytest.fixture()
def refile(app, logged_in, trainer):
    ts, _, _ = past_session(trainer)
    enrol(ts, make_learner(trainer))
    post_sms(logged_in, app, "Hello?")
    reply = db.session.scalars(select(Reply)).one()
    token = csrf_token(logged_in, "/inbox")

    def post(back: str):
        data = {"csrf_token": token, "target": "unclassified", "back": back}
        return logged_in.post(f"/refile/reply/{reply.id}", data=data)

    return post


@pytest.mark.parametrize(
    "back",
    [
        "/\t/evil.example/x",
        "/\n/evil.example/x",
        "/\r\n//evil.example",
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/inbox?_external=1&_scheme=javascript",
        "/no/such/page",
        "/" + "a" * 5000,
    ],
)
def test_a_back_that_is_not_a_page_of_this_site_goes_to_the_inbox(refile, back):
    answer = refile(back)
    location = answer.headers.get("Location", "")
    assert answer.status_code == 302 and location == "/inbox"


def test_a_page_of_this_site_is_rebuilt_with_its_query(refile, trainer):
    answer = refile("/inbox?show=all")
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox?show=all"
