"""The baseline's job: plain RQ, one job per message, each job one Twilio send (no batching, no pool).

It sends through the same twilio client class Drip uses (drip.channels.twilio_sms.TwilioSms), so
the baseline differs from Drip only in how work reaches the sender: a forked work horse per
message instead of a claimed batch sent by a thread pool. It writes nothing to the database,
which favours the baseline (Drip records `sending` and `sent` per delivery).
"""

from __future__ import annotations

from drip.channels.base import OutgoingMessage
from drip.channels.twilio_sms import TwilioSms


def send_sms(api_base: str, account_sid: str, auth_token: str, from_number: str, to: str, body: str) -> str:
    """Send one SMS through the twilio library; returns the provider's message sid."""
    channel = TwilioSms(account_sid, auth_token, from_number=from_number, api_base=api_base)
    try:
        return channel.send(OutgoingMessage(None, "sms", to, body)).provider_message_id
    finally:
        channel.close()
