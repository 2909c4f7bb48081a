"""Finding 5: a STOP from a number that was not yet a learner was recorded but not applied.

When that number was enrolled later, the learner got a practice text. Now a STOP recorded for any
number applies to any learner who gets that number later, for every trainer, until START.
"""

from __future__ import annotations

import pytest

from drip.extensions import db
from drip.models import Learner
from drip.services import accounts
from drip.services.learners.edits import update_learner
from drip.services.learners.bulk import store_learners
from drip.services.learners.upsert import LearnerInput, upsert_learners
from tests.support.inbound_factory import make_learner, post_sms

STRANGER = "+14155550188"
# One learner typed in (ORM objects) or a file imported (plain rows): the same opt-outs hold.
both = pytest.mark.parametrize("upsert_learners", [upsert_learners, store_learners], ids=["orm", "bulk"])


@both
def test_a_strangers_stop_holds_for_every_trainer_who_enrols_the_number_later(app, client, trainer, upsert_learners):
    other = accounts.create_trainer("other@example.com", "correct horse battery", "Other")
    post_sms(client, app, "STOP", sender=STRANGER)
    [(mine, created)] = upsert_learners(trainer, [LearnerInput("Zed", STRANGER, None)])
    [(theirs, _)] = upsert_learners(other, [LearnerInput("Zed Z.", STRANGER, None)])
    db.session.commit()
    assert created and mine.sms_opted_out_at is not None and theirs.sms_opted_out_at is not None


@both
def test_a_learner_renumbered_to_a_stopped_number_is_stopped(app, client, trainer, upsert_learners):
    post_sms(client, app, "STOP", sender=STRANGER)
    ada = make_learner(trainer, phone="+14155550101")
    update_learner(ada, LearnerInput("Ada Lovelace", STRANGER, None))
    assert db.session.get(Learner, ada.id).sms_opted_out_at is not None
    [(bob, _)] = upsert_learners(trainer, [LearnerInput("Bob", "+14155550102", None, external_id="b")])
    [(bob, created)] = upsert_learners(trainer, [LearnerInput("Bob", STRANGER, None, external_id="b")])
    assert not created and bob.sms_opted_out_at is not None


@both
def test_start_after_stop_lets_the_number_be_enrolled_again(app, client, trainer, upsert_learners):
    post_sms(client, app, "STOP", sender=STRANGER)
    post_sms(client, app, "START", sender=STRANGER)
    [(zed, _)] = upsert_learners(trainer, [LearnerInput("Zed", STRANGER, None)])
    assert zed.sms_opted_out_at is None
