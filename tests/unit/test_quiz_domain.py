"""Pure quiz and follow-up rules: answers by letter, hints, verdicts, re-ask delays, tallies, quiet learners."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drip.domain import follow_ups, quiz
from drip.domain.quiz import Answer

CHOICES = ["Tea", "Coffee", "Water"]
T0 = datetime(2030, 1, 1, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a", 0),
        ("B", 1),
        (" c) ", 2),
        ("(b)", 1),
        ("2", 1),
        ("water", 2),
        ("Coffee!", 1),
        ("d", None),
        ("z", None),
        ("maybe", None),
        ("", None),
    ],
)
def test_a_quiz_is_answered_by_letter_number_or_text(body, expected):
    assert quiz.parse_quiz_answer(body, CHOICES) == expected


def test_hint_letters_the_choices_and_verdicts_carry_the_explanation():
    assert quiz.reply_hint(CHOICES) == "A) Tea\nB) Coffee\nC) Water\nReply A, B or C."
    assert quiz.reply_hint(["Yes", "No"]).endswith("Reply A or B.")
    assert quiz.verdict(True, " Water hydrates. ") == "Right! Water hydrates."
    assert quiz.verdict(False, "Water hydrates.") == "Not quite: Water hydrates."
    assert (quiz.verdict(True, None), quiz.verdict(False, "")) == ("Right!", "Not quite.")


def test_reasks_come_after_retry_after_then_twice_as_long_after_that():
    assert [(n, str(delay)) for n, delay in quiz.reask_offsets("P2D")] == [(1, "P2D"), (2, "P6D")]
    assert [str(delay) for _, delay in quiz.reask_offsets("PT30S")] == ["PT30S", "PT1M30S"]
    assert [str(delay) for _, delay in quiz.reask_offsets(None)] == ["P2D", "P6D"]


@pytest.mark.parametrize(
    ("answer", "explain", "retry_after", "field"),
    [
        (3, "", "P2D", "answer"),
        (-1, "", "P2D", "answer"),
        (None, "", "P2D", "answer"),
        (True, "", "P2D", "answer"),
        (1, "x" * 501, "P2D", "explain"),
        (1, "", "-P1D", "retry_after"),
        (1, "", "PT0S", "retry_after"),
        (1, "", "soon", "retry_after"),
    ],
)
def test_quiz_fields_are_checked(answer, explain, retry_after, field):
    _, errors = quiz.check(CHOICES, answer, explain, retry_after)
    assert field in errors


def test_tally_counts_first_answers_per_ask():
    answers = [
        Answer(1, 0, 1),
        Answer(1, 0, 0),  # right at once; a second text to the same ask does not count
        Answer(2, 0, 0),
        Answer(2, 1, 1),  # wrong, then right after a re-ask
        Answer(3, 0, 2),
        Answer(3, 1, 0),  # wrong twice
        Answer(4, 1, 1),
    ]  # silent at first, right when re-asked
    tally = quiz.tally(answers, 1)
    assert (tally.answered, tally.correct_first_try, tally.correct_after_reask) == (4, 1, 2)
    assert tally.wrong_counts == {0: 2, 2: 1} and tally.most_chosen_wrong == 0
    assert tally.learners == {1: "first_try", 2: "after_reask", 3: "wrong", 4: "after_reask"}


def test_quiet_after_three_unanswered_asks_until_a_reply():
    asks = [T0 + timedelta(days=n) for n in range(4)]
    assert follow_ups.quiet_since(asks[:2], None) is None
    assert follow_ups.quiet_since(asks[:3], None) == T0
    assert follow_ups.quiet_since(asks, asks[0] + timedelta(hours=1)) == asks[1]
    assert follow_ups.quiet_since(asks, asks[2] + timedelta(hours=1)) is None


def test_follow_up_checks_and_slots():
    values, errors = follow_ups.check("practice", "email", {"after": "p3d", "body": "Hi {{ first_name }}"})
    assert errors == {} and values == {
        "after": "P3D",
        "body": "Hi {{ first_name }}",
        "channel": "email",
        "subject": None,
    }
    assert "follow_up" in follow_ups.check("reminder", "sms", {"after": "P1D", "body": "x"})[1]
    assert "follow_up" in follow_ups.check("quiz", "sms", {"after": "P1D", "body": "x", "when": 1})[1]
    assert "follow_up.channel" in follow_ups.check("quiz", "sms", {"after": "P1D", "body": "x", "channel": "fax"})[1]
    assert follow_ups.follow_ons("quiz", "P1D", {"after": "P2D"}) == [
        ("reask", 1, "P1D"),
        ("reask", 2, "P3D"),
        ("follow_up", 0, "P2D"),
    ]
    assert follow_ups.follow_ons("poll", None, None) == []


def test_too_soon_keeps_asks_apart_after_a_backlog():
    assert follow_ups.too_soon(T0 + timedelta(days=3), T0 + timedelta(days=1), "P1D")
    assert not follow_ups.too_soon(T0 + timedelta(hours=6), T0 + timedelta(days=1), "P1D")
