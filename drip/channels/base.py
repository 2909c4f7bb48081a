"""The one small interface every outgoing channel (SMS, email, outbox) implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from drip.domain.outgoing import ChannelName, OutgoingMessage  # noqa: F401 (the channels' message, defined in domain)


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it took the message."""

    provider_message_id: str
    status: str


class SendError(Exception):
    """The provider did not take the message."""

    def __init__(self, code: int | str | None, message: str):
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.message = message


class TransientSendError(SendError):
    """Worth retrying later: throttling, provider outage, timeout, network failure.

    maybe_sent is True when the request may have reached the provider before the failure
    (a read timeout, a connection dropped mid-answer): resending could text the learner twice.
    unreachable is True when no connection to the provider could be made: nothing left this time.
    in_doubt is set by the retry loop when it stopped because the provider could no longer be
    reached after such an attempt: the first request's fate cannot be learnt, so the message is
    neither sent again nor called failed.
    """

    def __init__(
        self,
        code: int | str | None,
        message: str,
        retry_after: float | None = None,
        *,
        maybe_sent: bool = False,
        unreachable: bool = False,
    ):
        super().__init__(code, message)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
        self.unreachable = unreachable
        self.in_doubt = False


class PermanentSendError(SendError):
    """Retrying the same message will fail the same way (bad number, bad request)."""


class RecipientOptedOut(PermanentSendError):
    """The recipient replied STOP to this sender (Twilio error 21610)."""


@runtime_checkable
class Channel(Protocol):
    """Sends one message through one provider."""

    name: str

    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand the message to the provider, or raise a SendError."""
        ...


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds; None when absent or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # the HTTP-date form is rare for these APIs; fall back to our own backoff
    return max(seconds, 0.0)
