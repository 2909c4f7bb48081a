"""Finding 4: learners' links became redirects on Drip's domain.

Links were rewritten in the fully rendered text, so a learner's https://evil.example/login in an
approved digest answer went to the cohort as PUBLIC_BASE_URL/l/…, a 302 to it. Now only the
trainer's template links are tracked; learners' links go out as text (no /l/, no <a> in email).
"""

from __future__ import annotations

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, OutboxMessage, TrackedLink
from drip.services.programs.enrolment import enrol
from tests.integration.test_digests import NOW, _answer, _program, _send
from tests.support.engine_factory import make_learners

EVIL = "https://evil.example/login"
GUIDE = "https://trainer.example/guide"
DIGEST = "Peers said:{% for a in answers %}\n- {{ a.text }} ({{ a.by }}){% endfor %}\nMore: " + GUIDE


def _digest_sent(trainer, channel: str):
    sequence, ts = _program(trainer, channel=channel)
    discussion, digest, _ = sorted(sequence.steps, key=lambda s: s.position)
    digest.body = DIGEST
    db.session.commit()
    author, *readers = make_learners(trainer, 3)
    enrol(ts, [author, *readers], now=NOW)
    _answer(ts, author, discussion, f"Log in at {EVIL} for the slides")
    _send(digest)
    return db.session.scalars(
        select(OutboxMessage)
        .join(Delivery, Delivery.id == OutboxMessage.delivery_id)
        .where(Delivery.step_id == digest.id)
    ).all()


def test_an_approved_digest_answer_with_a_link_goes_out_without_a_redirect_to_it(app, trainer):
    sent = _digest_sent(trainer, "sms")
    assert sent
    for message in sent:
        assert f"Log in at {EVIL} for the slides" in message.body  # the learner's link, as text
        assert GUIDE not in message.body and "/l/" in message.body  # the trainer's link, tracked
    assert db.session.scalars(select(TrackedLink.url)).all() == [GUIDE]


def test_in_email_a_learners_link_is_text_not_an_anchor(app, trainer):
    sent = _digest_sent(trainer, "email")
    assert sent
    for message in sent:
        assert EVIL in message.body and EVIL in message.html
        assert f'href="{EVIL}"' not in message.html and "evil.example/login</a>" not in message.html
        assert message.html.count('href="http://127.0.0.1:5000/l/') == 1
