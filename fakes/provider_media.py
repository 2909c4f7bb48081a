"""The fake's media store: pictures learners "sent" by MMS, behind basic auth and a redirect as Twilio keeps them.

Twilio's MediaUrl (`/2010-04-01/Accounts/<sid>/Messages/<MM..>/Media/<ME..>`) answers an
authenticated GET with a redirect to a short-lived address on its media store, which serves the
bytes without credentials. The fake does the same, so a fetch that forgets the credentials, or
does not follow the redirect, fails here as it would against Twilio.
"""

from __future__ import annotations

import re
import secrets
import threading

MEDIA_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages/(?P<mm>MM\w+)/Media/(?P<me>ME\w+)$")
STORE_PATH = re.compile(r"^/media-store/(?P<key>[\w-]+)$")


class MediaStore:
    """Pictures by media sid, and the one-time store addresses a redirect hands out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.fetches: list[dict] = []  # every GET: path, whether authenticated, answer

    def add(self, base_url: str, account_sid: str, data: bytes, content_type: str) -> str:
        """Keep a picture; its MediaUrl, as an inbound MMS webhook would carry it."""
        message, media = "MM" + secrets.token_hex(16), "ME" + secrets.token_hex(16)
        with self.lock:
            self.items[media] = (data, content_type)
        return f"{base_url}/2010-04-01/Accounts/{account_sid}/Messages/{message}/Media/{media}"

    def answer(self, path: str, authenticated: bool, account_sid: str) -> tuple[int, dict, bytes]:
        """(status, headers, body) for a GET of a media URL or of the store address it redirects to."""
        if match := MEDIA_PATH.match(path):
            if not authenticated or match["sid"] != account_sid:
                return self._log(path, authenticated, 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, b"")
            if match["me"] not in self.items:
                return self._log(path, authenticated, 404, {}, b"")
            key = secrets.token_urlsafe(12)
            with self.lock:
                self.redirects[key] = match["me"]
            return self._log(path, authenticated, 307, {"Location": f"/media-store/{key}"}, b"")
        if (match := STORE_PATH.match(path)) and (media := self.redirects.get(match["key"])):
            data, content_type = self.items[media]
            return self._log(path, authenticated, 200, {"Content-Type": content_type}, data)
        return self._log(path, authenticated, 404, {}, b"")

    def _log(self, path: str, authenticated: bool, status: int, headers: dict, body: bytes):
        with self.lock:
            self.fetches.append({"path": path, "authenticated": authenticated, "status": status})
        return status, headers, body
