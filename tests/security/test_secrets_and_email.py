"""Deployment secrets for operators only; a forged Inbound Parse email is not taken for the learner's (finding 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drip.domain.sender_auth import dkim_domains, sender_verified
from drip.extensions import db
from drip.models import InboundMessage, Reply, utcnow
from drip.services import accounts
from tests.conftest import login
from tests.support.inbound_factory import inbound_parse_form, make_learner, make_session, make_step, sent_delivery
from tests.web.test_webhooks_inbound import post_email

SECRET = "deployment-wide-inbound-secret"


@pytest.fixture()
def deployment(app):
    app.config.update(SENDGRID_INBOUND_SECRET=SECRET, INBOUND_EMAIL_DOMAIN="inbound.example.com")
    return app


def test_only_an_operator_sees_the_inbound_secret(deployment, client, trainer):
    login(client)
    page = client.get("/settings/").get_data(as_text=True)
    assert SECRET not in page
    assert "operator" in page
    accounts.create_trainer("ops@example.com", "plum tractor velvet", "Ops", operator=True)
    operator = deployment.test_client()
    with deployment.app_context():
        login(operator, "ops@example.com", "plum tractor velvet")
        assert SECRET in operator.get("/settings/").get_data(as_text=True)


@pytest.fixture()
def victim(deployment, trainer):
    """Trainer A's learner, with a practice email sent yesterday."""
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    ada = make_learner(trainer, phone=None, email="ada@example.com")
    delivery = sent_delivery(
        ts,
        ada,
        make_step(trainer, "practice", channel="email"),
        sent_at=utcnow() - timedelta(days=1),
        provider_message_id="Uh7XVYjxR8uiBXpA",
    )
    return ts, ada, delivery


def _forged(**changes) -> dict:
    form = inbound_parse_form(sender="Ada Lovelace <ada@example.com>", **changes)
    form.update(SPF="softfail", envelope='{"to":["reply@inbound.example.com"],"from":"mallory@evil.example"}')
    form.pop("dkim", None)
    return form


def test_a_forged_from_is_kept_unverified_and_not_the_learners_reply(victim, client):
    ts, ada, _ = victim
    assert post_email(client, _forged(in_reply_to="<Uh7XVYjxR8uiBXpA@geopod>"), token=SECRET).status_code == 200
    message = db.session.query(InboundMessage).one()
    reply = db.session.query(Reply).one()
    assert message.sender_verified is False and message.learner_id is None
    assert (reply.kind, reply.learner_id, reply.session_id) == ("unclassified", None, ts.id)
    login(client)
    page = client.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    assert "Unverified sender ada@example.com" in page


def test_dkim_for_the_from_domain_vouches_for_the_sender(victim, client):
    _, ada, delivery = victim
    form = _forged()
    form["dkim"] = "{@example.com : pass}"
    assert post_email(client, form, token=SECRET).status_code == 200
    reply = db.session.query(Reply).one()
    assert (reply.kind, reply.learner_id, reply.delivery_id) == ("practice_report", ada.id, delivery.id)


def test_the_secret_reply_address_vouches_without_spf_or_dkim(victim, client):
    _, ada, delivery = victim
    form = _forged(to=f"reply+{delivery.reply_token}@inbound.example.com")
    assert post_email(client, form, token=SECRET).status_code == 200
    assert db.session.query(Reply).one().learner_id == ada.id


@pytest.mark.parametrize(
    "sender, spf, dkim, envelope, verified",
    [
        ("ada@example.com", "pass", "", '{"from": "bounce@example.com"}', True),
        ("ada@example.com", "pass", "", '{"from": "x@evil.example"}', False),
        ("ada@mail.example.com", "none", "{@example.com : pass}", "{}", True),
        ("ada@example.com", "none", "{@evil.example : pass, @example.com : fail}", "{}", False),
        ("ada@example.com", "fail", "", '{"from": "ada@example.com"}', False),
        ("ada@notexample.com", "none", "{@example.com : pass}", "not json", False),
    ],
)
def test_sender_verification_needs_a_pass_aligned_with_the_from_domain(sender, spf, dkim, envelope, verified):
    assert sender_verified(sender, spf=spf, dkim=dkim, envelope=envelope) is verified


def test_dkim_results_are_read_per_domain():
    assert dkim_domains("{@gmail.com : pass, @sendgrid.info : fail}") == {"gmail.com"}
