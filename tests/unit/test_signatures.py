"""Webhook signatures: Twilio's HMAC (X-Twilio-Signature) and SendGrid's ECDSA Event Webhook."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from twilio.request_validator import RequestValidator

from drip.channels.sendgrid_email import verify_sendgrid_event
from drip.channels.twilio_sms import verify_twilio_signature

TOKEN = "twilio-auth-token"
URL = "https://drip.example/webhooks/twilio/sms"
PARAMS = {"From": "+15551234567", "To": "+15550001111", "Body": "What about part 2?", "MessageSid": "SM" + "a" * 32}


def twilio_signature(url=URL, params=PARAMS, token=TOKEN):
    return RequestValidator(token).compute_signature(url, params)


def test_twilio_signature_made_by_twilio_validates():
    assert verify_twilio_signature(TOKEN, URL, PARAMS, twilio_signature())


def test_twilio_signature_signed_with_the_default_port_validates():
    signature = twilio_signature("https://drip.example:443/webhooks/twilio/sms")
    assert verify_twilio_signature(TOKEN, URL, PARAMS, signature)


@pytest.mark.parametrize(
    "token, url, params",
    [
        ("another-token", URL, PARAMS),
        (TOKEN, URL.replace("/sms", "/status"), PARAMS),
        (TOKEN, URL, {**PARAMS, "Body": "STOP"}),
        (TOKEN, URL, {**PARAMS, "Extra": "1"}),
    ],
)
def test_twilio_forged_signature_is_rejected(token, url, params):
    """Signed with another token, or the request was changed after Twilio signed it."""
    assert not verify_twilio_signature(TOKEN, url, params, twilio_signature(token=token))


@pytest.mark.parametrize("signature", [None, "", "not base64 at all", "A" * 28])
def test_twilio_missing_or_garbled_signature_is_rejected(signature):
    assert not verify_twilio_signature(TOKEN, URL, PARAMS, signature)


def test_twilio_without_a_token_nothing_validates():
    assert not verify_twilio_signature("", URL, PARAMS, twilio_signature(token=""))


@pytest.fixture(scope="module")
def keys():
    """A P-256 key pair, the public half as SendGrid shows it (base64 DER) and as PEM."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(der).decode(), pem.decode()


PAYLOAD = (
    json.dumps(
        [
            {
                "email": "ada@example.com",
                "event": "delivered",
                "delivery_id": "9",
                "sg_event_id": "ev1",
                "timestamp": 1700000000,
            }
        ]
    ).encode()
    + b"\r\n"
)
TIMESTAMP = "1700000001"


def sign(private, payload=PAYLOAD, timestamp=TIMESTAMP):
    signature = private.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def test_sendgrid_signed_event_is_accepted_with_base64_or_pem_key(keys):
    private, public_b64, public_pem = keys
    assert verify_sendgrid_event(public_b64, PAYLOAD, sign(private), TIMESTAMP)
    assert verify_sendgrid_event(public_pem, PAYLOAD, sign(private), TIMESTAMP)


def test_sendgrid_own_helper_agrees(keys):
    private, public_b64, _ = keys
    helper = EventWebhook(public_b64)
    assert helper.verify_signature(PAYLOAD.decode(), sign(private), TIMESTAMP)


@pytest.mark.parametrize(
    "payload, timestamp",
    [
        (PAYLOAD.replace(b"delivered", b"bounce"), TIMESTAMP),
        (PAYLOAD + b" ", TIMESTAMP),
        (PAYLOAD, "1700000002"),
    ],
)
def test_sendgrid_tampered_payload_or_timestamp_is_rejected(keys, payload, timestamp):
    private, public_b64, _ = keys
    assert not verify_sendgrid_event(public_b64, payload, sign(private), timestamp)


def test_sendgrid_signature_from_another_key_is_rejected(keys):
    _, public_b64, _ = keys
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert not verify_sendgrid_event(public_b64, PAYLOAD, sign(stranger), TIMESTAMP)


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "garbage",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END",
        base64.b64encode(b"\x30\x03\x02\x01\x00").decode(),
    ],
)
def test_sendgrid_garbage_key_is_rejected_without_raising(keys, key):
    private, _, _ = keys
    assert not verify_sendgrid_event(key, PAYLOAD, sign(private), TIMESTAMP)


def test_sendgrid_key_on_another_curve_is_rejected(keys):
    other = ec.generate_private_key(ec.SECP384R1())
    public = other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = base64.b64encode(other.sign(TIMESTAMP.encode() + PAYLOAD, ec.ECDSA(hashes.SHA256()))).decode()
    assert not verify_sendgrid_event(base64.b64encode(public).decode(), PAYLOAD, signature, TIMESTAMP)


@pytest.mark.parametrize("signature", [None, "", "%%%not-base64%%%", "AAAA", "QUJD" * 20])
def test_sendgrid_missing_or_garbled_signature_is_rejected(keys, signature):
    _, public_b64, _ = keys
    assert not verify_sendgrid_event(public_b64, PAYLOAD, signature, TIMESTAMP)


def test_sendgrid_missing_timestamp_is_rejected(keys):
    private, public_b64, _ = keys
    assert not verify_sendgrid_event(public_b64, PAYLOAD, sign(private, timestamp=""), "")
    assert not verify_sendgrid_event(public_b64, PAYLOAD, sign(private), None)
