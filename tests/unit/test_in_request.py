"""Which inbound texts are routed inside Twilio's request (answered in TwiML) and which by a worker."""

from __future__ import annotations

import pytest

from drip.domain.in_request import routed_in_request


@pytest.mark.parametrize("body", ["HELP", "help!", "Info", "STOP", "stop.", "UNSUBSCRIBE", "JOIN42", "join42!"])
def test_texts_that_cannot_wait_for_a_worker_are_routed_in_the_request(body):
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
        # Votes and quiz answers too: routed by a worker in batches, the verdict sent through the SMS API.
        "2",
        " 3 ",
        "B",
        "b)",
        "option 2",
        "10",
    ],
)
def test_everything_else_is_left_to_a_worker(body):
    assert not routed_in_request(body, ["JOIN42"])
