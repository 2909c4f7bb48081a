"""The trainer's side of the cohort page: preview without counting, views per learner, reissuing a link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip.models import Enrollment, utcnow
from drip.services import accounts
from tests.conftest import csrf_token, login
from tests.web.test_cohort_page import _cohort, _token


def test_preview_shows_the_learners_page_without_counting_or_forms(app, logged_in, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    preview = logged_in.get(f"/sessions/{ts.id}/cohort/{ada.id}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview: this is Ada" in html
    assert "Ben&#39;s approved" in html and "Cy&#39;s unapproved" not in html
    assert "<form" not in html and "Lovelace" not in html
    db.session.expire_all()
    assert db.session.scalar(select(Enrollment.cohort_views).where(Enrollment.learner_id == ada.id)) == 0
    client.get(f"/c/{_token(ts, ada)}")
    client.get(f"/c/{_token(ts, ada)}")
    session_page = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    assert 'data-cohort-views="2"' in session_page and f"/sessions/{ts.id}/cohort/{ada.id}" in session_page
    learner_page = logged_in.get(f"/learners/{ada.id}").get_data(as_text=True)
    assert 'data-views="2"' in learner_page and f"/c/{_token(ts, ada)}" in learner_page


def test_reissue_kills_the_old_link(app, logged_in, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    old = _token(ts, ada)
    form = csrf_token(logged_in, f"/learners/{ada.id}")
    assert logged_in.post(f"/sessions/{ts.id}/cohort/{ada.id}/reissue").status_code == 400  # no CSRF token
    answer = logged_in.post(f"/sessions/{ts.id}/cohort/{ada.id}/reissue", data={"csrf_token": form})
    assert answer.status_code == 302
    db.session.expire_all()
    new = _token(ts, ada)
    assert new != old and len(new) >= 22
    assert client.get(f"/c/{old}").status_code == 404


def test_another_trainer_cannot_preview_or_reissue(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(days=2))
    accounts.create_trainer("other@example.com", "another password", "Otto Other")
    login(client, "other@example.com", "another password")
    assert client.get(f"/sessions/{ts.id}/cohort/{ada.id}").status_code == 404
    token = csrf_token(client, "/")
    assert client.post(f"/sessions/{ts.id}/cohort/{ada.id}/reissue", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert _token(ts, ada) is not None
