"""A learner without a first name (a walk-in, a blank name) is greeted as "there", in their language."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from drip.domain import messages

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _first_name(name: str, language: str) -> str:
    values = messages.context(
        learner_name=name,
        session_title="Feedback",
        starts_at=NOW,
        join_url="",
        trainer_name="Tess",
        tz=timezone.utc,
        hint="",
        now=NOW,
        language=language,
    )
    return values["first_name"]


@pytest.mark.parametrize(
    "name, language, greeted",
    [
        ("Ada Lovelace", "es", "Ada"),
        ("", "en", "there"),
        ("   ", "es", "colega"),
        ("Walk-in ···1234", "fr", "à vous"),
        ("Walk-in ···1234", "de", "und willkommen"),
        ("", "pt", "colega"),
    ],
)
def test_the_greeting_names_the_learner_or_says_there_in_their_language(name, language, greeted):
    assert _first_name(name, language) == greeted
