"""Texts the phone simulator sends: signed for one trainer, so they act only within that trainer's data."""

from __future__ import annotations

from collections.abc import Mapping

from drip.domain import numbers

SIMULATOR_FIELD = "DripSimulatorTrainer"


def simulated_for(form: Mapping[str, str], config: Mapping) -> int | None:
    """The trainer the phone simulator texts for (its signed form says), so the text stays within their data."""
    if config.get("SMS_PROVIDER") != "outbox":
        return None  # only Drip itself signs webhooks in outbox mode; Twilio never sends the field
    return numbers.parse_id(form.get(SIMULATOR_FIELD))
