"""Finding 5: the simulator said a number "belongs to another trainer's learner".

That told one trainer who another trainer's learners are. Now any number can be simulated: the
signed text acts only within the simulating trainer's data (a STOP too), and nothing about another
trainer's learner changes or shows.
"""

from __future__ import annotations

from drip.extensions import db
from drip.models import Learner
from drip.services import accounts
from drip.services.learners.upsert import LearnerInput, upsert_learners
from tests.conftest import csrf_token, login
from tests.support.inbound_factory import make_learner

THEIRS = "+14155550101"


def test_texting_as_another_trainers_learner_says_and_changes_nothing_of_theirs(app, trainer):
    ada = make_learner(trainer, "Ada Lovelace", phone=THEIRS)
    accounts.create_trainer("b@example.com", "plum tractor velvet", "Bob")
    b = app.test_client()
    login(b, "b@example.com", "plum tractor velvet")
    token = csrf_token(b, "/simulator")
    answer = b.post("/simulator/text", data={"csrf_token": token, "number": THEIRS, "body": "STOP"})
    page = b.get("/simulator").get_data(as_text=True)
    assert answer.status_code == 302 and "another trainer" not in page and "Ada" not in page
    db.session.expire_all()
    assert db.session.get(Learner, ada.id).sms_opted_out_at is None
    # The simulated STOP leaves no trace that a third trainer's learner with the number would inherit.
    third = accounts.create_trainer("c@example.com", "plum tractor velvet", "Cy")
    [(cy, _)] = upsert_learners(third, [LearnerInput("Cy's learner", THEIRS, None)])
    assert cy.sms_opted_out_at is None
