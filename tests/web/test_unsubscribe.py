"""Unsubscribe pages: no login, token-authenticated, idempotent, with a way back."""

from __future__ import annotations

from sqlalchemy import func, select

from drip.extensions import db
from drip.models import Learner, OptOutEvent
from drip.services.inbound import optout
from tests.support.delivery_rows import make_learner


def _events():
    return [(e.action, e.source) for e in db.session.scalars(select(OptOutEvent).order_by(OptOutEvent.id))]


def _fresh(learner):
    db.session.expire_all()
    return db.session.get(Learner, learner.id)


def test_page_asks_before_unsubscribing(client, trainer):
    learner = make_learner(trainer)
    response = client.get(f"/u/{learner.unsubscribe_token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unsubscribe from Tess Trainer" in html and "lee@example.com" in html
    assert f'action="/u/{learner.unsubscribe_token}"' in html
    assert _fresh(learner).email_opted_out_at is None and _events() == []


def test_confirming_unsubscribes_without_login_and_offers_resubscribe(client, trainer):
    learner = make_learner(trainer)
    response = client.post(f"/u/{learner.unsubscribe_token}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You are unsubscribed" in html and "Subscribe again" in html
    assert optout.email_blocked(_fresh(learner))
    client.post(f"/u/{learner.unsubscribe_token}")
    assert _events() == [("opt_out", "unsubscribe_link")]

    html = client.post(f"/u/{learner.unsubscribe_token}/resubscribe", follow_redirects=True).get_data(as_text=True)
    assert "You are subscribed again" in html
    assert not optout.email_blocked(_fresh(learner))
    assert _events() == [("opt_out", "unsubscribe_link"), ("opt_in", "unsubscribe_link")]


def test_one_click_is_idempotent_and_answers_200(client, trainer):
    learner = make_learner(trainer)
    for _ in range(2):
        response = client.post(
            f"/u/{learner.unsubscribe_token}/one-click",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
    assert optout.email_blocked(_fresh(learner))
    events = list(db.session.scalars(select(OptOutEvent)))
    assert [(e.source, e.detail) for e in events] == [("one_click", "List-Unsubscribe=One-Click")]


def test_one_click_touches_only_this_learner_and_not_sms(client, trainer):
    learner = make_learner(trainer)
    other = make_learner(trainer, name="Ann", phone="+15005550007", email="ann@example.com")
    client.post(f"/u/{learner.unsubscribe_token}/one-click", data={"List-Unsubscribe": "One-Click"})
    assert not optout.email_blocked(_fresh(other))
    assert not optout.sms_blocked(_fresh(learner))


def test_unknown_token_is_404_and_changes_nothing(client, trainer):
    make_learner(trainer)
    for method, path in [
        ("get", "/u/nope"),
        ("post", "/u/nope"),
        ("post", "/u/nope/one-click"),
        ("post", "/u/nope/resubscribe"),
        ("get", "/u/" + "x" * 200),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, path
        assert "This link is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OptOutEvent)) == 0
    assert db.session.scalar(select(Learner.email_opted_out_at)) is None


def test_unsubscribe_links_point_at_these_pages(app, trainer):
    learner = make_learner(trainer)
    page, one_click = optout.unsubscribe_links(learner, "https://drip.example.org/")
    assert page == f"https://drip.example.org/u/{learner.unsubscribe_token}"
    assert one_click == page + "/one-click"


def test_unsubscribe_and_resubscribe_show_on_the_learners_page(logged_in, trainer):
    learner = make_learner(trainer)
    logged_in.post(f"/u/{learner.unsubscribe_token}/one-click", data={"List-Unsubscribe": "One-Click"})
    html = logged_in.get(f"/learners/{learner.id}").get_data(as_text=True)
    assert "unsubscribed" in html and "one-click unsubscribe" in html
    logged_in.post(f"/u/{learner.unsubscribe_token}/resubscribe")
    html = logged_in.get(f"/learners/{learner.id}").get_data(as_text=True)
    assert "opted back in (unsubscribe link)" in html
