"""SMS through Twilio's Programmable Messaging API, with errors mapped to Drip's send errors."""

from __future__ import annotations

import hmac

import logging
import threading
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from drip.channels.base import (
    OutgoingMessage,
    PermanentSendError,
    RecipientOptedOut,
    SendResult,
    TransientSendError,
    parse_retry_after,
)

DEFAULT_API_BASE = "https://api.twilio.com"
POOL_SIZE = 64  # matches the sending thread pool, so no thread waits for or discards a connection
OPTED_OUT = 21610
# A non-empty mapping, so twilio does not fall back to os.environ: config.py is the one place
# environment variables are read, and a stray TWILIO_REGION would rewrite the API host.
_NO_ENVIRONMENT = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}
_logger = logging.getLogger(__name__)


class PooledTwilioHttpClient(HttpClient):
    """A thread-safe twilio HttpClient: one pooled requests Session, optionally another origin."""

    def __init__(self, api_base: str = DEFAULT_API_BASE, timeout: float = 10.0, pool_size: int = POOL_SIZE):
        super().__init__(logger=_logger, is_async=False, timeout=timeout)
        api_base = api_base.rstrip("/")
        # twilio builds https://api.twilio.com/... URLs; another base replaces that origin.
        self._origin = None if api_base == DEFAULT_API_BASE else urlsplit(api_base)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        # TwilioHttpClient only sizes the https:// pool, capped at 32; test servers speak http.
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._local = threading.local()

    def request(
        self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ) -> Response:
        """Send one request through the shared Session and return twilio's Response."""
        response = self.session.request(
            method.upper(),
            self._rebase(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            allow_redirects=allow_redirects,
        )
        # Per-thread, because TwilioRestException does not carry headers (we need Retry-After).
        self._local.headers = response.headers
        # Return the local object: TwilioHttpClient returns a shared attribute, which races.
        return Response(response.status_code, response.text, response.headers)

    def last_headers(self) -> dict:
        """Headers of the last response this thread received."""
        return getattr(self._local, "headers", None) or {}

    def _rebase(self, url: str) -> str:
        if self._origin is None:
            return url
        parts = urlsplit(url)
        path = self._origin.path + parts.path
        return urlunsplit((self._origin.scheme, self._origin.netloc, path, parts.query, ""))


class TwilioSms:
    """The Twilio SMS channel: one client, shared by every sending thread."""

    name = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
    ):
        if not (from_number or messaging_service_sid):
            raise ValueError("TwilioSms needs from_number or messaging_service_sid")
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.http_client = PooledTwilioHttpClient(api_base, timeout)
        self._client = Client(account_sid, auth_token, http_client=self.http_client, environment=_NO_ENVIRONMENT)
        # Resolve the lazily built resource chain once, before threads share it.
        self._messages = self._client.api.v2010.account.messages

    def send(self, message: OutgoingMessage) -> SendResult:
        """Create the Twilio message, or raise Transient/Permanent/RecipientOptedOut."""
        kwargs = {"to": message.to, "body": message.body}
        if self.from_number:
            kwargs["from_"] = self.from_number
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        try:
            created = self._messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise self._map_rest_error(exc) from exc
        except requests.Timeout as exc:
            raise TransientSendError(
                "timeout", f"Twilio did not answer in time: {exc}", maybe_sent=_may_have_arrived(exc)
            ) from exc
        except requests.RequestException as exc:
            # Connection refused or reset, a response cut short: the provider may be back soon.
            raise TransientSendError(
                "connection", f"Could not reach Twilio: {exc}", maybe_sent=_may_have_arrived(exc)
            ) from exc
        return SendResult(provider_message_id=created.sid, status=created.status or "queued")

    def close(self) -> None:
        """Close the pooled connections (at worker shutdown)."""
        self.http_client.session.close()

    def _map_rest_error(self, exc: TwilioRestException | TwilioServiceException):
        # TwilioServiceException is the newer RFC 9457 error shape; it carries detail, not msg.
        text = _clean(getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", None))
        status, code = int(exc.status), exc.code or exc.status
        if code == OPTED_OUT:
            return RecipientOptedOut(code, text)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(self.http_client.last_headers().get("Retry-After"))
            return TransientSendError(code, text, retry_after)
        return PermanentSendError(code, text)


def verify_twilio_signature(auth_token: str, url: str, params, signature: str | None) -> bool:
    """True when X-Twilio-Signature matches the URL Twilio called and the POSTed params."""
    if not auth_token or not signature or not url:
        return False
    try:
        validator = RequestValidator(auth_token)
        # The URL as we were called is one of the two forms validate() tries (with and without the
        # port): a genuine callback matches it at once, with one HMAC instead of two and no URL parsing.
        if hmac.compare_digest(validator.compute_signature(url, params or {}), signature):
            return True
        return bool(validator.validate(url, params or {}, signature))
    except (TypeError, ValueError, AttributeError):
        return False


def _may_have_arrived(exc: requests.RequestException) -> bool:
    # Only a failure to connect proves Twilio never saw the request.
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        return not isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return True


def _clean(msg) -> str:
    # twilio prefixes the API's own message with its operation name.
    text = str(msg or "")
    prefix = "Unable to create record: "
    return text[len(prefix) :] if text.startswith(prefix) else text
