"""A crawl of the admin as a trainer clicks through it: every same-site link, each page once, with what it shows."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

# Not pages: streams that never end, files, the learner's and provider's sides, signing out.
SKIP = re.compile(
    r"^/(static|m|c|l|u|webhooks|api|metrics|logout)(/|$)|/board/events|/export|\.csv$|/one-click|/download"
)
# Where template code may be shown as written: editors and code boxes.
CODE_ELEMENTS = {"textarea", "code", "pre", "script", "style", "kbd", "template"}


class _Page(HTMLParser):
    """The links of a page and its visible text outside editors and code boxes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag in CODE_ELEMENTS:
            self._inside.append(tag)

    def handle_endtag(self, tag):
        if self._inside and self._inside[-1] == tag:
            self._inside.pop()

    def handle_data(self, data):
        if not self._inside:
            self.text.append(data)


def visible_text(html: str) -> str:
    """The text of a page outside editors and code boxes, as one string."""
    page = _Page()
    page.feed(html)
    return " ".join(" ".join(page.text).split())


@dataclass
class Crawl:
    """What a crawl found: every page visited with its status, and the problems seen."""

    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # each HTML page's visible text


def crawl(client, start: str = "/", *, limit: int = 600, extra: tuple[str, ...] = ()) -> Crawl:
    """Visit every same-site page reachable from `start` (and `extra`); a 5xx or raw template code is a problem."""
    found = Crawl()
    queue = deque([start, *extra])
    seen = set(queue)
    while queue and len(found.statuses) < limit:
        path = queue.popleft()
        response = client.get(path)
        found.statuses[path] = response.status_code
        if response.status_code >= 500:
            found.problems.append(f"{path}: {response.status_code}")
            continue
        if response.status_code in (301, 302, 303):
            target = urlsplit(response.location).path
            if target and target not in seen and not SKIP.search(target):
                seen.add(target)
                queue.append(target)
            continue
        if "text/html" not in response.content_type:
            continue
        page = _Page()
        page.feed(response.get_data(as_text=True))
        text = " ".join(" ".join(page.text).split())
        found.texts[path] = text
        for code in ("{{", "{%", "}}", "%}"):
            if code in text:
                at = text.index(code)
                found.problems.append(f"{path}: template code shown: …{text[max(0, at - 60) : at + 40]!r}…")
                break
        for href in page.links:
            link, _ = urldefrag(href)
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and not SKIP.search(parts.path):
                seen.add(target)
                queue.append(target)
    return found
