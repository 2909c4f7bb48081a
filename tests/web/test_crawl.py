"""Nothing a trainer can reach answers 5xx or shows template code (issue 22, item 1): a crawl of the
demo trainer's admin after the demo ran a while, and of data made through the API."""

from __future__ import annotations

import re
from datetime import timedelta

from drip.domain import catalog
from drip.extensions import db
from drip.models import Step, TrainingSession, utcnow
from drip.services import accounts
from drip.services.inbound.receive import receive_sms
from drip.services.programs.demo import DEMO_EMAIL, DEMO_SESSION
from tests.conftest import login
from tests.integration.test_demo_routing import JO, LEO, MAYA, PRIYA, send_due
from tests.support.crawl import crawl, visible_text
from tests.support.inbound_factory import sms_form
from tests.web.test_api_support import api_for


# A moment as the admin prints one: a day and month, maybe a year, then the time (then AM/PM in a
# learner's message); or the end of a range ("– 08:53"). Either must be followed by its zone.
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
MOMENT = re.compile(rf"(?:\d{{1,2}} {MONTH}(?: \d{{4}})?,? |– )(\d{{1,2}}:\d{{2}}(?::\d{{2}})?)(?: [AP]M)?(\s+\S+|$)")
ZONE = re.compile(r"\s+(?:[A-Z]{2,5}|[+-]\d{2,4})\W*$")


def unnamed_times(text: str) -> list[str]:
    """The moments in a page's text not followed by a zone abbreviation."""
    return [match.group(0) for match in MOMENT.finditer(text) if not ZONE.match(match.group(2))]


def _edit_forms(pages: dict[str, int]) -> set[int]:
    return {int(path.rsplit("/", 1)[1]) for path in pages if "/steps/" in path and path.rsplit("/", 1)[1].isdigit()}


def test_the_demo_admin_has_no_server_error_and_no_template_code(app, runner, monkeypatch):
    monkeypatch.setenv("DRIP_DEMO_PASSWORD", "demo password for the crawl")
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    launch = utcnow()
    demo = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    send_due(launch)
    receive_sms(sms_form("2", sender=MAYA), now=launch + timedelta(minutes=1))
    send_due(launch + timedelta(minutes=7))
    during = demo.starts_at + timedelta(minutes=1, seconds=30)
    receive_sms(sms_form("b", sender=LEO), now=during)
    receive_sms(sms_form("How do I start when they get defensive?", sender=PRIYA), now=during)
    receive_sms(sms_form("not sure", sender=MAYA), now=during)
    receive_sms(sms_form("Tried asking first, it went well", sender=JO), now=launch + timedelta(minutes=8))
    receive_sms(sms_form("who is this?", sender="+14155550999"), now=launch + timedelta(minutes=8))

    client = app.test_client()
    assert login(client, DEMO_EMAIL, "demo password for the crawl").status_code == 302
    found = crawl(client)
    assert found.problems == []
    assert len(found.statuses) > 40
    trainer = accounts.find_trainer(DEMO_EMAIL)
    steps = db.session.query(Step).filter(Step.sequence.has(trainer_id=trainer.id), Step.deleted_at.is_(None)).all()
    assert {step.id for step in steps} <= _edit_forms(found.statuses)  # every step's edit form opened
    unnamed = [f"{path}: {moment}" for path, text in found.texts.items() for moment in unnamed_times(text)]
    assert unnamed == []  # one clock: every moment on every page says its zone
    assert sum(bool(MOMENT.search(text)) for text in found.texts.values()) > 10
    board = client.get(f"/sessions/{demo.id}/board/questions").json
    assert board["questions"] and all(q["time"].endswith((" EST", " EDT")) for q in board["questions"])
    projector = client.get(f"/sessions/{demo.id}/projector").get_data(as_text=True)
    assert re.search(r'data-upcoming="Questions open at \d\d:\d\d E[SD]T', projector)


def test_data_made_through_the_api_has_no_server_error(app, client, trainer):
    api = api_for(app.test_client(), trainer)
    steps = []
    for kind in catalog.authorable_step_kinds():
        for channel in ("sms", "email"):
            step = {
                "kind": kind,
                "channel": channel,
                "anchor": "start",
                "offset": "-PT5S" if channel == "sms" else "P1DT3M7S",
                "body": "Hi {{ first_name }} " + ("{{ choices }}" if kind in ("poll", "quiz") else "x" * 900),
            }
            if channel == "email":
                step["subject"] = "About {{ session.title }}"
            if kind in ("poll", "quiz"):
                step["choices"] = ["One", "Two", "Three", "Four", "Five", "Six"]
            if kind == "quiz":
                step["answer"] = 2
            if kind == "digest":
                step["source"] = "questions"
            steps.append(step)
    created = api.post("/sequences", json={"name": "Everything", "send_window": None, "steps": steps})
    assert created.status_code == 201, created.json
    sequence_id = created.json["id"]
    soon = (utcnow() + timedelta(days=2)).replace(microsecond=0).isoformat()
    later = (utcnow() + timedelta(days=2, hours=3)).replace(microsecond=0).isoformat()
    for title in ("Empty", "Huge"):
        body = {"title": title, "starts_at": soon, "ends_at": later, "timezone": "Asia/Kolkata"}
        session_id = api.post("/sessions", json={**body, "sequence_ids": [sequence_id]}).json["id"]
    learners = [
        {"name": f"Learner {n} with a rather long surname", "phone": f"+1415555{n:04d}", "email": f"l{n}@example.com"}
        for n in range(150)
    ]
    assert api.post(f"/sessions/{session_id}/enrollments", json={"learners": learners}).status_code in (200, 201)
    assert login(client).status_code == 302
    found = crawl(client, limit=400)
    assert found.problems == []
    assert len(_edit_forms(found.statuses)) == len(steps)


def test_a_time_without_its_zone_is_caught():
    assert unnamed_times("Sun 06 Dec 2026, 08:51 EST – 08:53 EST · 06 Dec 08:48 EST) · Tue 14 Oct, 9:30 AM EDT.") == []
    assert unnamed_times("Sun 06 Dec, 08:51 · x") == ["06 Dec, 08:51 ·"]
    assert unnamed_times("08:51 EST – 08:53") == ["– 08:53"]


def test_the_crawl_sees_template_code_only_outside_editors():
    page = "<p>Hi {{ first_name }}</p><textarea>{{ ok }}</textarea><code>{% if %}</code><p>fine</p>"
    assert visible_text(page) == "Hi {{ first_name }} fine"
