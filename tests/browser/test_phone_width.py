"""No admin page scrolls sideways on a 375 px phone (issue 22, item 11): every page the crawl of the
demo trainer's admin finds, opened in Chromium at 375 px."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drip.extensions import db
from drip.models import TrainingSession, utcnow
from drip.services.inbound.receive import receive_sms
from drip.services.programs.demo import DEMO_EMAIL, DEMO_SESSION
from tests.browser.conftest import sign_in
from tests.integration.test_demo_routing import MAYA, PRIYA, send_due
from tests.support.crawl import crawl
from tests.conftest import login
from tests.support.inbound_factory import sms_form

pytestmark = pytest.mark.browser
PASSWORD = "demo password for the phone"
# Pages that are pictures of a room or a phone, not pages to read on one.
NOT_FOR_PHONES = ("/projector",)
# The innermost elements wider than the phone: what to fix.
WIDEST = """() => Array.from(document.querySelectorAll('body *')).filter(e => e.scrollWidth > 376 && !Array.from(e.children)
  .some(c => c.scrollWidth > 376)).map(e => e.tagName + '.' + e.className).slice(0, 3).join(' | ')"""


def test_no_admin_page_scrolls_sideways_at_375_px(app, runner, page, live_server, monkeypatch):
    monkeypatch.setenv("DRIP_DEMO_PASSWORD", PASSWORD)
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    launch = utcnow()
    demo = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    send_due(launch + timedelta(minutes=7))
    receive_sms(sms_form("How do I start when they get defensive?", sender=PRIYA), now=demo.starts_at)
    receive_sms(sms_form("not sure", sender=MAYA), now=demo.starts_at)
    client = app.test_client()
    login(client, DEMO_EMAIL, PASSWORD)
    pages = [
        path
        for path, status in crawl(client).statuses.items()
        if status == 200 and not path.endswith(NOT_FOR_PHONES) and "/steps/" not in path[:-6]
    ]
    pages += [path for path in crawl(client).statuses if "/steps/" in path][:3]  # a few step editors
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, live_server, DEMO_EMAIL, PASSWORD)
    wide = []
    for path in dict.fromkeys(pages):
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            culprit = page.evaluate(WIDEST)
            wide.append(f"{path}: {width}px ({culprit})")
    assert wide == []
