"""axe clean on every admin page (issue 22, item 11): each page the demo crawl finds, shared chrome included."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drip.extensions import db
from drip.models import Step, TrainingSession, utcnow
from drip.services.inbound.receive import receive_sms
from drip.services.programs.demo import DEMO_EMAIL, DEMO_SESSION
from tests.browser.a11y import axe_source, describe, violations
from tests.browser.conftest import sign_in
from tests.conftest import login
from tests.integration.test_demo_routing import MAYA, PRIYA, send_due
from tests.support.crawl import crawl
from tests.support.inbound_factory import sms_form

pytestmark = pytest.mark.browser
PASSWORD = "demo password for axe"


def test_every_admin_page_is_axe_clean(app, runner, page, live_server, monkeypatch):
    monkeypatch.setenv("DRIP_DEMO_PASSWORD", PASSWORD)
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    demo = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    send_due(utcnow() + timedelta(minutes=7))
    receive_sms(sms_form("How do I start when they get defensive?", sender=PRIYA), now=demo.starts_at)
    receive_sms(sms_form("not sure", sender=MAYA), now=demo.starts_at)
    client = app.test_client()
    login(client, DEMO_EMAIL, PASSWORD)
    quiz = db.session.query(Step).filter(Step.kind == "quiz").first()
    # Every page once; of the step editors (one template), a quiz's, the fullest.
    paths = [
        path
        for path, status in crawl(client).statuses.items()
        if status == 200 and ("/steps/" not in path or path.endswith(f"/steps/{quiz.id}"))
    ]
    sign_in(page, live_server, DEMO_EMAIL, PASSWORD)
    source = axe_source()
    found = {}
    for path in paths:
        page.goto(live_server + path)
        problems = violations(page, source)
        if problems:
            found[path] = describe(problems)
    assert found == {}
