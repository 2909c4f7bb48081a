"""Fetching a learner's MMS picture from Twilio: the account's credentials, then Twilio's redirect to its media store.

Only addresses on Twilio's API origin (or the configured TWILIO_API_BASE) are fetched, and only
there are the credentials sent: a MediaUrl pointing anywhere else is refused, never requested.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

DEFAULT_API_BASE = "https://api.twilio.com"
TIMEOUT = (5.0, 20.0)  # connect, read: a 5 MB picture over a slow link
CHUNK = 64 * 1024


class MediaFetchFailed(Exception):
    """The picture could not be fetched; `retry` says whether trying later may help."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.retry = retry


@dataclass(frozen=True)
class FetchedMedia:
    """The bytes Twilio's media store gave, and the type it claimed (checked again from the bytes)."""

    data: bytes
    content_type: str


def _address(url: str, api_base: str) -> str:
    """The URL to request: on Twilio's origin, moved onto api_base when that is another (tests, proxies)."""
    parts, base = urlsplit(url), urlsplit(api_base.rstrip("/"))
    origins = {(base.scheme, base.netloc), tuple(urlsplit(DEFAULT_API_BASE)[:2])}
    if (parts.scheme, parts.netloc) not in origins or not parts.path.startswith("/2010-04-01/Accounts/"):
        raise MediaFetchFailed("not a Twilio media address", retry=False)
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))


def fetch_media(url: str, *, account_sid: str, auth_token: str, api_base: str, limit: int) -> FetchedMedia:
    """GET a MediaUrl with HTTP basic auth, following the redirect; MediaFetchFailed past `limit` bytes or on error."""
    if not account_sid or not auth_token:
        raise MediaFetchFailed("no Twilio credentials to fetch it with", retry=True)
    address = _address(url, api_base)
    try:
        # requests drops the Authorization header when the redirect leaves the host: the store's
        # address is pre-signed, and must not see the account's credentials.
        with requests.get(
            address, auth=(account_sid, auth_token), allow_redirects=True, stream=True, timeout=TIMEOUT
        ) as response:
            if response.status_code != 200:
                raise MediaFetchFailed(f"Twilio answered {response.status_code}", retry=True)
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise MediaFetchFailed(f"larger than {limit // (1024 * 1024)} MB", retry=False)
            data = bytearray()
            for chunk in response.iter_content(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise MediaFetchFailed(f"larger than {limit // (1024 * 1024)} MB", retry=False)
            return FetchedMedia(bytes(data), response.headers.get("Content-Type", ""))
    except requests.RequestException as error:
        raise MediaFetchFailed(f"could not reach Twilio ({type(error).__name__})", retry=True) from error
