"""Pages at real scale: searchable, paginated learners; the enrol picker with "enrol all matching"; a compact pager."""

from __future__ import annotations

import re
from datetime import timedelta

from drip.extensions import db
from drip.models import Enrollment, utcnow
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import LearnerInput, upsert_learners
from drip.services.programs.sessions import create_session
from tests.conftest import csrf_token


def _session(trainer):
    start = (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0)
    return create_session(
        trainer,
        title="Scale",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Paris",
        sequence_ids=[],
    )


def _learners(trainer, count, prefix="Learner", area="201"):
    stored = upsert_learners(trainer, [LearnerInput(f"{prefix} {i:04d}", f"+1{area}555{i:04d}") for i in range(count)])
    db.session.commit()
    return [learner for learner, _ in stored]


def test_learners_pager_is_compact_and_search_finds_by_phone_digits(logged_in, trainer):
    _learners(trainer, 1300)  # 26 pages
    html = logged_in.get("/learners?page=13").get_data(as_text=True)
    links = re.findall(r'class="page-link"[^>]*>([^<]+)<', html)
    assert len(links) <= 11, links
    assert "26" in links and "1" in links and "…" in links
    assert "Learner 0600" in html  # page 13 holds learners 600-649
    found = logged_in.get("/learners?q=(201) 555-0777").get_data(as_text=True)
    assert "Learner 0777" in found and "Learner 0778" not in found


def test_session_learners_are_paginated_and_searchable(logged_in, trainer):
    ts = _session(trainer)
    enrol(ts, _learners(trainer, 120))
    html = logged_in.get(f"/sessions/{ts.id}?lpage=3").get_data(as_text=True)
    assert "Learner 0100" in html and "Learner 0099" not in html
    assert "Showing 101–120 of 120" in html
    html = logged_in.get(f"/sessions/{ts.id}?lq=0042").get_data(as_text=True)
    assert "Learner 0042" in html and "Learner 0043" not in html


def test_enrol_picker_searches_and_enrols_all_matching(logged_in, trainer):
    ts = _session(trainer)
    _learners(trainer, 600, prefix="Ann")
    _learners(trainer, 5, prefix="Bob", area="202")
    html = logged_in.get(f"/sessions/{ts.id}?eq=bob").get_data(as_text=True)
    assert "Enrol all 5 matching" in html and "Ann 0001" not in html
    token = csrf_token(logged_in, f"/sessions/{ts.id}")
    response = logged_in.post(f"/sessions/{ts.id}/enrol", data={"csrf_token": token, "q": "ann", "all_matching": "1"})
    assert response.status_code == 302
    assert db.session.query(Enrollment).filter_by(session_id=ts.id).count() == 600
    html = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    assert "Enrol all 5" in html
