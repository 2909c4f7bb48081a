"""services/programs/step_fields.py: one list of a step's authored fields, read by every copy of a step."""

from __future__ import annotations

from datetime import time

from drip.models import Step
from drip.services.programs.sequences import check_step
from drip.services.programs.step_fields import AUTHORED, STORED, StepInput, apply, fields_of
from drip.web.api.resources import StepOut
from drip.web.api.schemas import StepIn
from drip.web.step_form import StepForm

QUIZ = {
    "kind": "quiz",
    "channel": "sms",
    "anchor": "end",
    "offset": "P2D",
    "label": "Ask or tell?",
    "local_time": time(9, 30),
    "subject": None,
    "body": "Which comes first? {{ reply_hint }}",
    "choices": ["Ask", "Tell"],
    "if_late": "send",
    "answer": 0,
    "explain": "Asking first makes it a conversation.",
    "retry_after": "P1D",
    "follow_up": {"after": "P3D", "body": "Still thinking, {{ first_name }}?", "channel": "sms", "subject": None},
    "translations": {
        "es": {
            "body": "¿Qué va primero? {{ reply_hint }}",
            "choices": ["Preguntar", "Decir"],
            "explain": "Preguntar primero abre una conversación.",
            "follow_up": {"body": "¿Lo sigues pensando, {{ first_name }}?", "subject": None},
        }
    },
    "image_id": 7,  # a picture of the media library (its ownership is checked where the trainer is known)
}


def test_every_stored_field_is_a_step_column_and_source_is_the_one_stored_otherwise():
    assert set(STORED) <= set(Step.__table__.columns.keys())
    assert set(AUTHORED) - set(STORED) == {"source"} and "source" not in Step.__table__.columns


def test_the_api_takes_and_gives_every_authored_field():
    assert set(StepIn.model_fields) == set(AUTHORED)
    assert set(AUTHORED) <= set(StepOut.model_fields)


def test_fields_of_and_apply_copy_a_step_whole():
    step = apply(Step(), QUIZ)
    assert fields_of(step) == QUIZ
    assert fields_of(StepInput(**QUIZ)) == QUIZ
    assert fields_of(step, local_time="09:30")["local_time"] == "09:30"


def test_the_step_form_round_trips_every_authored_field():
    item, errors = StepForm.from_step(apply(Step(), QUIZ)).to_input()
    assert errors == {}
    values, problems = check_step(item)
    assert problems == {} and {name: values[name] for name in STORED} == QUIZ
