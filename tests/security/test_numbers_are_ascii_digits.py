"""Finding 5: Unicode digits ("²", "¹") in re-file targets, `reply_ids` and `learner_ids` answered 500.

`"²".isdigit()` is true and `int("²")` raises. Every number people or strangers type is now read by
one pattern of ASCII digits with a bound (domain/numbers.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drip.domain import numbers
from drip.extensions import db
from drip.models import Enrollment, Reply
from tests.conftest import csrf_token
from tests.support.inbound_factory import enrol, make_learner, post_sms
from tests.web.test_inbox import past_session

HOSTILE = ["²", "¹", "١٢", "1_000", "-1", "0", "99999999999999999999", "9" * 5000, " ", "", "1e3", "0x10"]


@pytest.mark.parametrize("raw", HOSTILE)
def test_only_ascii_digits_within_the_bound_are_numbers(raw):
    assert numbers.parse_id(raw) is None
    with pytest.raises(ValueError):
        numbers.id_param(raw)


def test_ascii_digits_are_read():
    assert numbers.parse_id(" 42 ") == 42 and numbers.parse_int("0") == 0
    assert numbers.parse_int("1001", high=1000) is None and numbers.parse_ids(["3", "²", "x", "4"]) == [3, 4]


def test_unicode_digits_in_admin_forms_answer_4xx_or_a_redirect_and_change_nothing(app, logged_in, trainer):
    ts, poll, _ = past_session(trainer)
    learner = make_learner(trainer)
    enrol(ts, learner)
    post_sms(logged_in, app, "Hello?")
    reply = db.session.scalars(select(Reply)).one()
    token = csrf_token(logged_in, "/inbox")
    for target in ("poll_vote:²:¹", f"poll_vote:{poll.id}:²", "poll_vote:1_0:0", f"poll_vote:{'9' * 40}:0"):
        answer = logged_in.post(f"/refile/reply/{reply.id}", data={"csrf_token": token, "target": target})
        assert answer.status_code == 302, target
    for raw in ("²", "¹", "9" * 40):
        shared = logged_in.post(f"/sessions/{ts.id}/replies/shared", data={"csrf_token": token, "reply_ids": raw})
        assert shared.status_code == 302
        enrolled = logged_in.post(f"/sessions/{ts.id}/enrol", data={"csrf_token": token, "learner_ids": [raw]})
        assert enrolled.status_code < 500
        assert logged_in.get(f"/learners?page={raw}").status_code == 200
        assert logged_in.get(f"/outbox?before={raw}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).kind == "unclassified" and not db.session.get(Reply, reply.id).shared
    assert db.session.scalar(select(Enrollment.id).where(Enrollment.learner_id == learner.id)) is not None
