"""The part of an inbound email the learner actually wrote: no quoted history, no signature.

Splitting is done by mail-parser-reply (module `mailparser_reply`): unlike email-reply-parser it
knows Outlook's "From:/Sent:" blocks, "Get Outlook for iOS", "-- " with its trailing space and
the attribution lines of a dozen languages. Two things are added on top: ">" lines it leaves in
place are dropped, and a sign-off it takes for a signature ("Thanks, ...") is only removed when it
is short, so a practice report that merely contains "Thanks, it helped..." is not cut in half.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

# Real languages only: the library also ships vendor-specific "languages" (e.g. "david").
_LANGUAGES = [code for code in MAIL_LANGUAGES if len(code) == 2]
# The reply is at the top; a runaway thread below it is not worth parsing in full.
_MAX_CHARS = 64_000
_CERTAIN_SIGNATURE = re.compile(r"(?:--|__|-\w|sent from my |get outlook for )", re.IGNORECASE)
_SIGN_OFF_MAX_WORDS = 4
_SIGNATURE_MAX_LINES = 8
_SIGNATURE_MAX_LINE_WORDS = 8


def _is_signature(block: str) -> bool:
    """Whether a block the library calls a signature looks like one rather than the learner's prose."""
    lines = [line.lstrip("> ").strip() for line in block.splitlines() if line.strip()]
    if not lines:
        return False
    if _CERTAIN_SIGNATURE.match(lines[0]):
        return True
    return (
        len(lines[0].split()) <= _SIGN_OFF_MAX_WORDS
        and len(lines) <= _SIGNATURE_MAX_LINES
        and all(len(line.split()) <= _SIGNATURE_MAX_LINE_WORDS for line in lines)
    )


def visible_reply(text: str) -> str:
    """The new text of an inbound email body, without quoted history and signature."""
    if not text or not text.strip():
        return ""
    message = EmailMessage(text[:_MAX_CHARS], languages=list(_LANGUAGES), keep_hyphen_lists=True).read()
    latest = message.replies[0]
    if latest.headers:
        # The first fragment already starts at a quote header: nothing was written above it.
        return ""
    body = latest.content
    for disclaimer in latest.disclaimers:
        body = body.replace(disclaimer, "")
    if latest.signatures and _is_signature(latest.signatures):
        body = body.replace(latest.signatures, "")
    # Quoted lines left inside the reply (interleaved answers, quotes with no attribution line).
    lines = [line.rstrip() for line in body.splitlines() if not line.lstrip().startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextExtractor(HTMLParser):
    """Collects an HTML email's text, marking blockquotes with ">" like a plain-text client would."""

    _BLOCKS = frozenset({
        "address", "article", "blockquote", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
    })
    _HIDDEN = frozenset({"head", "script", "style", "template", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._quote_depth = 0
        self._hidden = 0
        self._pre = 0

    def flush(self, *, keep_empty: bool = False) -> None:
        """End the current line; an empty one is kept only for explicit breaks."""
        text = "".join(self._current)
        text = text.rstrip() if self._pre else text.strip()
        if text or keep_empty:
            self.lines.append(("> " * self._quote_depth + text).rstrip())
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self.flush(keep_empty=True)
        elif tag in self._BLOCKS:
            self.flush()
            self._quote_depth += tag == "blockquote"
            self._pre += tag == "pre"
            if tag == "li":
                self._current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.flush()
            if tag == "p":
                self.flush(keep_empty=True)  # paragraphs are separated by a blank line
            self._quote_depth = max(0, self._quote_depth - (tag == "blockquote"))
            self._pre = max(0, self._pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            lines = data.split("\n")
            for line in lines[:-1]:
                self._current.append(line)
                self.flush(keep_empty=True)
            self._current.append(lines[-1])
        else:
            # HTML collapses whitespace; non-breaking spaces survive as plain spaces.
            self._current.append(re.sub(r"\s+", " ", data.replace("\xa0", " ")))


def html_to_text(html: str) -> str:
    """Plain text of an HTML-only email, blockquotes as ">" lines, ready for visible_reply()."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    extractor.flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(extractor.lines)).strip()
