"""Which inbound texts are routed inside Twilio's request (answered in TwiML) and which by a worker."""

from __future__ import annotations

import pytest

from drip.domain.in_request import looks_like_choice, routed_in_request


@pytest.mark.parametrize(
    "body",
    ["HELP", "help!", "Info", "STOP", "stop.", "UNSUBSCRIBE", "2", " 3 ", "B", "b)", "option 2", "JOIN42", "join42!"],
)
def test_texts_that_need_an_answer_now_are_routed_in_the_request(body):
    assert routed_in_request(body, ["JOIN42"])


@pytest.mark.parametrize(
    "body",
    [
        "How do I give feedback to someone senior?",
        "START",
        "yes",
        "Tried it today: it went well",
        "",
        "help me understand the SBI model",
        "join",
        "12345",
    ],
)
def test_everything_else_is_left_to_a_worker(body):
    assert not routed_in_request(body, ["JOIN42"])


def test_a_choice_is_a_number_or_a_single_letter():
    assert looks_like_choice("10") and looks_like_choice("c.") and not looks_like_choice("ok")
