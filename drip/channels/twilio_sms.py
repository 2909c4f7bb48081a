"""SMS through Twilio's Programmable Messaging API, with errors mapped to Drip's send errors."""

from __future__ import annotations

import hmac

import logging
import threading
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NewConnectionError
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from drip.channels.keepalive import NoAnswer, Origin, Unreachable
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
    """A thread-safe twilio HttpClient: kept-alive connections to one origin (api.twilio.com or another)."""

    def __init__(self, api_base: str = DEFAULT_API_BASE, timeout: float = 10.0, pool_size: int = POOL_SIZE):
        super().__init__(logger=_logger, is_async=False, timeout=timeout)
        api_base = api_base.rstrip("/")
        # twilio builds https://api.twilio.com/... URLs; another base replaces that origin.
        self.session = requests.Session()  # its default headers; and the road through a proxy
        # The proxies and CA bundle the environment names for this origin, read once here, as requests
        # would read them on each request (it scans os.environ).
        settings = self.session.merge_environment_settings(api_base + "/", {}, None, None, None)
        self._proxies, self._verify = settings["proxies"], settings["verify"]
        self._api_base = api_base
        self.origin = Origin(api_base, verify=self._verify, idle_limit=pool_size)
        self.session.mount("https://", HTTPAdapter(pool_maxsize=pool_size))
        # requests' default headers but Accept-Encoding: http.client asks for identity, nothing to unzip.
        self._defaults = {k: v for k, v in self.session.headers.items() if k.lower() != "accept-encoding"}
        self._auth: dict[tuple, str] = {}
        self._local = threading.local()

    def request(
        self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ) -> Response:
        """Send one request and return twilio's Response (Unreachable or NoAnswer when none came back)."""
        # The request Session.request would send (the session's default headers under twilio's; no
        # cookies, hooks or redirects: twilio asks for none), but asking for an uncompressed answer.
        merged = CaseInsensitiveDict(self._defaults)
        merged.update(headers or {})
        body = None
        if data:
            form = not isinstance(data, (str, bytes))
            body = _form(data) if form else data
            body = body.encode() if isinstance(body, str) else body
            if form:
                merged.setdefault("Content-Type", "application/x-www-form-urlencoded")
            merged["Content-Length"] = str(len(body))
        elif method.upper() in ("POST", "PUT", "PATCH"):
            merged["Content-Length"] = "0"
        if auth:
            merged["Authorization"] = self._basic(*auth)
        sent = {key: value for key, value in merged.items() if value is not None}
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, _form(params) if params else "") if q)
        target = (parts.path or "/") + ("?" + query if query else "")
        timeout = timeout or self.timeout
        # twilio's own host, another base (a test's fake) in its place; through a proxy, as requests goes.
        foreign = self._api_base == DEFAULT_API_BASE and parts.netloc != urlsplit(DEFAULT_API_BASE).netloc
        if self._proxies or foreign:
            address = url.split("?")[0] + ("?" + query if query else "") if foreign else self._api_base + target
            response = self.session.request(
                method.upper(), address, headers=sent, data=body or "", timeout=timeout, allow_redirects=False
            )
            self._local.headers = response.headers
            return Response(response.status_code, response.text, response.headers)
        answer = self.origin.request(method.upper(), target, body, sent, timeout)
        # Per-thread, because TwilioRestException does not carry headers (we need Retry-After).
        self._local.headers = answer.headers
        return Response(answer.status, answer.body.decode("utf-8", "replace"), answer.headers)

    def last_headers(self):
        """Headers of the last response this thread received."""
        return getattr(self._local, "headers", None) or {}

    def _basic(self, user: str, password: str) -> str:
        found = self._auth.get((user, password))
        if found is None:
            found = self._auth[(user, password)] = _basic_auth_str(user, password)
        return found


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
        if message.media_urls:
            kwargs["media_url"] = list(message.media_urls)  # an MMS: Twilio fetches each public URL
        try:
            created = self._messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise self._map_rest_error(exc) from exc
        except Unreachable as exc:  # no connection: the request never left
            code = "timeout" if exc.timed_out else "connection"
            raise TransientSendError(code, f"Could not reach Twilio: {exc}", unreachable=True) from exc
        except NoAnswer as exc:  # it left, and may have been taken
            if exc.timed_out:
                raise TransientSendError("timeout", f"Twilio did not answer in time: {exc}", maybe_sent=True) from exc
            raise TransientSendError("connection", f"Lost Twilio's answer: {exc}", maybe_sent=True) from exc
        except requests.Timeout as exc:  # through a proxy
            arrived = _may_have_arrived(exc)
            raise TransientSendError(
                "timeout", f"Twilio did not answer in time: {exc}", maybe_sent=arrived, unreachable=not arrived
            ) from exc
        except requests.RequestException as exc:
            # Connection refused or reset, a response cut short: the provider may be back soon.
            arrived = _may_have_arrived(exc)
            raise TransientSendError(
                "connection", f"Could not reach Twilio: {exc}", maybe_sent=arrived, unreachable=not arrived
            ) from exc
        return SendResult(provider_message_id=created.sid, status=created.status or "queued")

    def close(self) -> None:
        """Close the pooled connections (at worker shutdown)."""
        self.http_client.origin.close()
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


def _form(fields) -> str:
    """Form fields URL-encoded exactly as requests encodes a dict or a list of pairs (repeated keys for
    a list value, None left out, UTF-8), without the Protocol isinstance checks it makes first."""
    pairs = []
    for key, values in fields.items() if hasattr(fields, "items") else fields:
        for value in [values] if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__") else values:
            if value is not None:
                pairs.append((_utf8(key), _utf8(value)))
    return urlencode(pairs, doseq=True)


def _utf8(value):
    return value.encode("utf-8") if isinstance(value, str) else value


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
