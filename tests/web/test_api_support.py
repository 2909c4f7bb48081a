"""Fixtures and helpers shared by the API tests (this module holds no tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from drip.extensions import db
from drip.models import Trainer, TrainingSession
from drip.services import accounts
from drip.services.programs.sequences import StepInput, create_sequence

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=14)


@dataclass
class Api:
    """A test client speaking for one trainer's token."""

    client: object
    token: str
    trainer: Trainer

    def _call(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        """GET under /api/v1."""
        return self._call("GET", path, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        """POST JSON under /api/v1."""
        return self._call("POST", path, json=json, **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        """PATCH JSON under /api/v1."""
        return self._call("PATCH", path, json=json, **kwargs)


def api_for(client, trainer: Trainer) -> Api:
    """An Api with a fresh token of `trainer`."""
    return Api(client, accounts.create_token(trainer, "tests"), trainer)


@pytest.fixture()
def api(client, trainer) -> Api:
    """The `trainer` fixture's API client."""
    return api_for(client, trainer)


@pytest.fixture()
def other_api(app) -> Api:
    """A second trainer, whose data the first must never see."""
    other = accounts.create_trainer("other@example.com", "another password", "Otto Other")
    return api_for(app.test_client(), other)


def sms_step(**overrides) -> dict:
    """A valid SMS step as the API takes it."""
    return {
        "kind": "reminder",
        "channel": "sms",
        "anchor": "start",
        "offset": "-P1D",
        "body": "Hi {{ first_name }}, see you at {{ session.title }}",
        **overrides,
    }


def poll_step(**overrides) -> dict:
    """A valid SMS poll step."""
    return sms_step(kind="poll", offset="-P7D", body="Which? 1 or 2", choices=["Tea", "Coffee"], **overrides)


def stored_sequence(trainer: Trainer, name: str = "Follow-up", kinds=("poll", "reminder")):
    """A sequence created through the sequences service."""
    steps = [
        StepInput(
            kind,
            "sms",
            "start",
            f"-P{10 - i}D",
            "Hi {{ first_name }}",
            choices=["Tea", "Coffee"] if kind == "poll" else None,
        )
        for i, kind in enumerate(kinds)
    ]
    return create_sequence(trainer, name=name, steps=steps)


def stored_session(trainer: Trainer, *, sequences=(), title: str = "Feedback workshop") -> TrainingSession:
    """A session row written directly, for tests that only read."""
    ts = TrainingSession(
        trainer_id=trainer.id, title=title, starts_at=SOON, ends_at=SOON + timedelta(hours=2), timezone="Europe/Paris"
    )
    ts.sequences = list(sequences)
    db.session.add(ts)
    db.session.commit()
    return ts
