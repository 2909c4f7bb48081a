"""The real twilio and sendgrid libraries, through Drip's channels, against the fake provider."""

import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from drip.channels.base import (
    Channel,
    OutgoingMessage,
    PermanentSendError,
    RecipientOptedOut,
    TransientSendError,
)
from drip.channels.retry import backoff_delays, send_with_retry
from drip.channels.sendgrid_email import SendGridEmail
from drip.channels.twilio_sms import TwilioSms
from fakes.provider import FakeProvider
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN, SENDGRID_KEY

ONE_CLICK = {
    "List-Unsubscribe": "<https://drip.example/u/tok>, <mailto:unsubscribe+tok@drip.example>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


@pytest.fixture
def provider():
    with FakeProvider(timeout_hold=3) as fake:
        yield fake


@pytest.fixture
def sms(provider):
    channel = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, from_number="+15550001111", api_base=provider.url, timeout=2)
    yield channel
    channel.close()


@pytest.fixture
def email(provider):
    return SendGridEmail(SENDGRID_KEY, "Drip <drip@drip.example>", api_host=provider.url, timeout=2)


def text(delivery_id=1, to="+15551234567", body="See you tomorrow", **kw):
    return OutgoingMessage(delivery_id=delivery_id, channel="sms", to=to, body=body, **kw)


def mail(delivery_id=1, to="ada@example.com", **kw):
    kw.setdefault("headers", ONE_CLICK)
    return OutgoingMessage(
        delivery_id=delivery_id, channel="email", to=to, body="Practise today", subject="Your practice", **kw
    )


def test_channels_satisfy_the_protocol(sms, email):
    assert isinstance(sms, Channel) and sms.name == "sms"
    assert isinstance(email, Channel) and email.name == "email"


def test_sms_is_sent_from_the_number_to_api_base(sms, provider):
    result = sms.send(text())
    assert result.status == "queued"
    assert result.provider_message_id.startswith("SM") and len(result.provider_message_id) == 34
    [accepted] = provider.accepted
    assert accepted["sid"] == result.provider_message_id
    assert (accepted["to"], accepted["body"], accepted["from"]) == ("+15551234567", "See you tomorrow", "+15550001111")
    assert accepted["messaging_service_sid"] is None
    assert provider.requests[0]["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_sms_through_a_messaging_service(provider):
    channel = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid="MG" + "1" * 32, api_base=provider.url + "/")
    channel.send(text())
    channel.close()
    [accepted] = provider.accepted
    assert accepted["messaging_service_sid"] == "MG" + "1" * 32
    assert accepted["from"] is None


def test_sms_needs_a_sender():
    with pytest.raises(ValueError):
        TwilioSms(ACCOUNT_SID, AUTH_TOKEN)


def test_sms_carries_the_status_callback(sms, provider):
    callback = "https://drip.example/webhooks/twilio/status?d=42"
    sms.send(text(42, status_callback=callback))
    [accepted] = provider.accepted
    assert accepted["status_callback"] == callback
    assert accepted["delivery_id"] == 42


@pytest.mark.parametrize("code", [21211, 21614])
def test_sms_bad_recipient_is_permanent(sms, provider, code):
    provider.script.append(("twilio", 400, code))
    with pytest.raises(PermanentSendError) as caught:
        sms.send(text())
    assert caught.value.code == code
    assert not isinstance(caught.value, RecipientOptedOut)
    assert "number" in caught.value.message and "Unable to create" not in caught.value.message


def test_sms_invalid_number_is_refused_by_the_provider(sms, provider):
    with pytest.raises(PermanentSendError) as caught:
        sms.send(text(to="12"))
    assert caught.value.code == 21211
    assert provider.accepted == []


def test_sms_opted_out_recipient(sms, provider):
    provider.script.append(("twilio", 400, 21610))
    with pytest.raises(RecipientOptedOut) as caught:
        sms.send(text())
    assert caught.value.code == 21610


def test_sms_rfc9457_errors_are_mapped_too(sms, provider):
    problem = {
        "type": "https://www.twilio.com/docs/errors/21610",
        "title": "Unsubscribed",
        "status": 400,
        "code": 21610,
        "detail": "Attempt to send to unsubscribed recipient",
    }
    provider.script.append(("twilio", 400, problem))
    with pytest.raises(RecipientOptedOut) as caught:
        sms.send(text())
    assert caught.value.message == "Attempt to send to unsubscribed recipient"


def test_sms_wrong_credentials_are_permanent(provider):
    channel = TwilioSms(ACCOUNT_SID, "wrong", from_number="+15550001111", api_base=provider.url)
    with pytest.raises(PermanentSendError) as caught:
        channel.send(text())
    channel.close()
    assert caught.value.code == 20003


@pytest.mark.parametrize("status", [429, 500, 503])
def test_sms_throttling_and_outages_are_transient(sms, provider, status):
    provider.retry_after = 7
    provider.script.append(("twilio", status))
    with pytest.raises(TransientSendError) as caught:
        sms.send(text())
    assert caught.value.retry_after == (7.0 if status == 429 else None)
    assert not caught.value.maybe_sent
    assert provider.accepted == []


def test_sms_timeout_is_transient_and_maybe_sent(provider):
    channel = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, from_number="+15550001111", api_base=provider.url, timeout=0.3)
    provider.script.append(("twilio", "timeout"))
    with pytest.raises(TransientSendError) as caught:
        channel.send(text())
    channel.close()
    assert caught.value.code == "timeout" and caught.value.maybe_sent
    assert provider.accepted == []


def test_sms_unreachable_provider_is_transient_and_not_sent():
    with FakeProvider() as gone:
        url = gone.url
    channel = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, from_number="+15550001111", api_base=url)
    with pytest.raises(TransientSendError) as caught:
        channel.send(text())
    channel.close()
    assert caught.value.code == "connection" and not caught.value.maybe_sent


def test_one_pooled_twilio_client_serves_concurrent_sends(sms, provider, caplog):
    provider.latency = 0.05  # keeps all 50 requests in flight at once
    caplog.set_level(logging.WARNING, logger="urllib3")
    with ThreadPoolExecutor(max_workers=50) as pool:
        first = list(pool.map(lambda n: sms.send(text(n, body=f"m{n}")), range(50)))
        second = list(pool.map(lambda n: sms.send(text(n, body=f"m{n}")), range(50, 100)))
    assert len({r.provider_message_id for r in first + second}) == 100
    assert sorted(m["body"] for m in provider.accepted) == sorted(f"m{n}" for n in range(100))
    # Connections are kept alive and shared: never more than one per thread, none discarded.
    assert len({r["peer"] for r in provider.requests}) <= 50
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_email_is_sent_with_both_parts_delivery_id_and_one_click_headers(email, provider):
    result = email.send(mail(9, reply_to="reply+abc@in.drip.example", html="<p>Practise</p>"))
    [accepted] = provider.accepted
    assert result.provider_message_id == accepted["message_id"]
    assert accepted["to"] == "ada@example.com" and accepted["from"] == "drip@drip.example"
    assert (accepted["subject"], accepted["body"], accepted["html"]) == (
        "Your practice",
        "Practise today",
        "<p>Practise</p>",
    )
    assert accepted["delivery_id"] == 9 and accepted["custom_args"] == {"delivery_id": "9"}
    assert accepted["reply_to"] == "reply+abc@in.drip.example"
    assert accepted["headers"] == ONE_CLICK
    assert provider.requests[0]["headers"]["Authorization"] == f"Bearer {SENDGRID_KEY}"


def test_email_without_html_gets_an_escaped_html_part(email, provider):
    email.send(OutgoingMessage(3, "email", "ada@example.com", "a < b\nc", subject="S", headers=ONE_CLICK))
    assert provider.accepted[0]["html"] == "<p>a &lt; b<br>\nc</p>"


def test_email_refused_is_permanent_with_sendgrid_message(email, provider):
    with pytest.raises(PermanentSendError) as caught:
        email.send(mail(headers={}))
    assert caught.value.code == 400
    assert "List-Unsubscribe" in caught.value.message
    assert provider.accepted == []


@pytest.mark.parametrize("status", [429, 500, 502])
def test_email_throttling_and_outages_are_transient(email, provider, status):
    provider.retry_after = 4
    provider.script.append(("sendgrid", status))
    with pytest.raises(TransientSendError) as caught:
        email.send(mail())
    assert caught.value.code == status
    assert caught.value.retry_after == (4.0 if status == 429 else None)


def test_email_timeout_is_transient(provider):
    channel = SendGridEmail(SENDGRID_KEY, "drip@drip.example", api_host=provider.url, timeout=0.3)
    provider.script.append(("sendgrid", "timeout"))
    with pytest.raises(TransientSendError) as caught:
        channel.send(mail())
    assert caught.value.maybe_sent
    assert provider.accepted == []


def test_one_sendgrid_client_serves_concurrent_sends(email, provider):
    provider.latency = 0.02
    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(lambda n: email.send(mail(n, to=f"l{n}@example.com")), range(50)))
    assert len({r.provider_message_id for r in results}) == 50
    assert {(m["delivery_id"], m["to"]) for m in provider.accepted} == {(n, f"l{n}@example.com") for n in range(50)}


def test_backoff_delays_grow_exponentially_with_full_jitter_and_a_cap():
    assert backoff_delays(6, base=0.5, cap=4, rng=lambda: 1.0) == [0.5, 1, 2, 4, 4, 4]
    assert backoff_delays(3, rng=lambda: 0.0) == [0, 0, 0]
    assert all(0 <= d <= 30 for d in backoff_delays(20))


def test_retry_rides_out_throttling_and_outages(sms, provider):
    provider.retry_after = 2
    provider.script.extend([("twilio", 429), ("twilio", 500)])
    slept = []
    result = send_with_retry(sms, text(), sleep=slept.append, rng=lambda: 0.5)
    assert result.provider_message_id == provider.accepted[0]["sid"]
    assert slept == [2.0, 0.5]  # Retry-After wins over a shorter backoff, then backoff alone


def test_retry_gives_up_with_the_last_transient_error(sms, provider):
    provider.script.extend([("twilio", 503)] * 3)
    slept = []
    with pytest.raises(TransientSendError) as caught:
        send_with_retry(sms, text(), max_attempts=3, sleep=slept.append, rng=lambda: 1.0)
    assert caught.value.code == 20500 and len(slept) == 2 and provider.accepted == []


def test_retry_never_repeats_a_permanent_error(sms, provider):
    provider.script.extend([("twilio", 400, 21610), ("twilio", 500)])
    with pytest.raises(RecipientOptedOut):
        send_with_retry(sms, text(), sleep=pytest.fail)
    assert len(provider.requests) == 1


def test_retry_does_not_resend_what_may_have_arrived(provider):
    # 1 s: the scripted timeout holds 3 s, and the retry's real answer has time on a busy machine.
    channel = SendGridEmail(SENDGRID_KEY, "drip@drip.example", api_host=provider.url, timeout=1.0)
    provider.script.append(("sendgrid", "timeout"))
    with pytest.raises(TransientSendError):
        send_with_retry(channel, mail(), sleep=pytest.fail)
    provider.script.append(("sendgrid", "timeout"))
    result = send_with_retry(channel, mail(), sleep=lambda s: None, retry_maybe_sent=True)
    assert result.provider_message_id == provider.accepted[0]["message_id"]


def test_retry_through_random_provider_failures(email, provider):
    provider.failure_rate, provider.failures, provider.retry_after = 0.4, ("429", "500"), 0
    for n in range(30):
        send_with_retry(email, mail(n), max_attempts=10, sleep=lambda s: None)
    assert sorted(m["delivery_id"] for m in provider.accepted) == list(range(30))
    assert len(provider.requests) > 30


def test_a_retry_after_a_maybe_sent_attempt_stays_maybe_sent():
    from drip.channels.base import TransientSendError
    from drip.channels.retry import send_with_retry

    class Flaky:
        name = "sms"

        def __init__(self):
            self.errors = [
                TransientSendError("timeout", "no answer", maybe_sent=True),
                TransientSendError("connection", "unreachable", unreachable=True),
            ]

        def send(self, message):
            raise self.errors.pop(0)

    with pytest.raises(TransientSendError) as caught:
        send_with_retry(Flaky(), None, max_attempts=2, sleep=lambda s: None, retry_maybe_sent=True)
    # The first request may have been taken: the refused second one must not make it look unsent,
    # and the loop stops there (in doubt) instead of retrying until the provider is back.
    assert caught.value.code == "connection" and caught.value.maybe_sent and caught.value.in_doubt


def test_a_provider_that_answers_again_after_a_timeout_is_still_retried():
    from drip.channels.base import SendResult

    class Slow:
        name = "sms"

        def __init__(self):
            self.answers = [
                TransientSendError("timeout", "no answer", maybe_sent=True),
                TransientSendError(500, "busy"),
            ]

        def send(self, message):
            if self.answers:
                raise self.answers.pop(0)
            return SendResult("SM1", "queued")

    # A 500 is an answer: the provider is reachable, so a slow provider's timeout is retried as issue 4 asks.
    assert send_with_retry(Slow(), None, max_attempts=3, sleep=lambda s: None, retry_maybe_sent=True).status == "queued"


def test_a_request_left_then_the_provider_out_of_reach_is_not_sent_again(provider):
    """A timeout, then a refused connection: the link or the provider's host went down after the request
    left, so its answer may be what was lost. Retrying until the link comes back would text twice."""
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, from_number="+15550001111", api_base=provider.url, timeout=0.3)
    provider.hang = True  # the request arrives and no answer comes back
    waits = []

    def the_host_goes_away(seconds):
        waits.append(seconds)
        provider.stop()

    try:
        with pytest.raises(TransientSendError) as caught:
            send_with_retry(sms, text(), max_attempts=4, sleep=the_host_goes_away, retry_maybe_sent=True)
    finally:
        sms.close()
    assert len(waits) == 1 and len(provider.requests) == 1  # one retry, refused; no third attempt
    assert caught.value.maybe_sent and caught.value.in_doubt
    assert provider.accepted == []


@pytest.mark.parametrize(
    "data",
    [
        {"To": "+15551234567", "Body": "Café ☕ & more", "From": "+15550001111"},
        {"To": "+15551234567", "MediaUrl": ["https://a.example/1.png", "https://a.example/2.png"], "Skip": None},
        [("To", "+15551234567"), ("Body", b"bytes"), ("Count", 3)],
    ],
    ids=["text", "list and none", "pairs"],
)
def test_the_twilio_client_sends_exactly_what_a_requests_session_sends(provider, data):
    """The pooled client writes the request itself on a kept-alive connection (no session, adapter or
    urllib3 pool): what reaches the provider is what Session.request sends, but for asking for an
    uncompressed answer."""
    import requests

    from drip.channels.twilio_sms import PooledTwilioHttpClient

    client = PooledTwilioHttpClient(provider.url, timeout=4)
    headers = {"User-Agent": "twilio-python/x", "Content-Type": "application/x-www-form-urlencoded", "Accept": None}
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    answer = client.request("post", "https://api.twilio.com" + path, data=data, headers=headers, auth=auth)
    with requests.Session() as session:
        reference = session.request(
            "POST", provider.url + path, data=data, headers=headers, auth=auth, timeout=4, allow_redirects=False
        )
    client.origin.close()
    mine, theirs = provider.requests
    assert answer.status_code == reference.status_code
    assert json.loads(answer.text).get("body") == reference.json().get("body")  # each its own message
    assert (mine["method"], mine["path"], mine["body"]) == (theirs["method"], theirs["path"], theirs["body"])
    assert mine["headers"].pop("Accept-Encoding") == "identity"
    assert theirs["headers"].pop("Accept-Encoding") == "gzip, deflate"
    assert mine["headers"] == theirs["headers"]


def test_a_kept_alive_connection_the_provider_closed_is_not_reused(sms, provider, monkeypatch):
    """An idle connection the server has hung up on is dropped before use, not written into (the
    request would be lost in the reset, and could not be told apart from one the provider took)."""
    from urllib3.util.wait import wait_for_read

    import fakes.provider

    import drip.channels.keepalive

    monkeypatch.setattr(fakes.provider._Handler, "timeout", 0.2)  # the fake ends idle connections quickly
    monkeypatch.setattr(drip.channels.keepalive, "FRESH_SECONDS", 0.0)  # every reuse asks the socket
    sms.send(text(1, body="first"))
    [(idle, _)] = list(sms.http_client.origin._idle)
    assert wait_for_read(idle.sock, timeout=5)  # the provider has closed it
    sms.send(text(2, body="second"))
    assert [m["body"] for m in provider.accepted] == ["first", "second"]
    assert idle.sock is None  # closed, a new connection took its place


def test_a_connection_closed_within_a_second_of_use_costs_a_retry_not_a_message(sms, provider, monkeypatch):
    """Reused within FRESH_SECONDS, a connection is not asked whether it is still open: one the provider
    closed all the same fails as maybe sent, and the retry goes out once on a new connection."""
    from urllib3.util.wait import wait_for_read

    import fakes.provider

    import drip.channels.keepalive

    monkeypatch.setattr(fakes.provider._Handler, "timeout", 0.2)
    monkeypatch.setattr(drip.channels.keepalive, "FRESH_SECONDS", 60.0)  # "fresh" outlasts a busy machine's pauses
    sms.send(text(1, body="first"))
    [(idle, _)] = list(sms.http_client.origin._idle)
    assert wait_for_read(idle.sock, timeout=5)  # closed by the provider, the connection still taken for fresh
    send_with_retry(sms, text(2, body="second"), max_attempts=2, sleep=lambda s: None, retry_maybe_sent=True)
    assert [m["body"] for m in provider.accepted] == ["first", "second"]
