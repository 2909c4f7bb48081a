"""An HTML-only email as the plain text a mail client would show, blockquotes marked with ">".

The HTML is hostile input: it is cut to MAX_HTML_CHARS first and read by libxml2's HTML parser
(lxml), which is linear in its input whatever the markup (Python's html.parser is quadratic on
unclosed tags). It is fed in chunks so a parse past its time budget stops with what it read.
"""

from __future__ import annotations

import re

from lxml import etree

from drip.domain.budget import Budget

# A reply's own text is at the top; Outlook's HTML for a long thread stays well under this.
MAX_HTML_CHARS = 256 * 1024
_CHUNK = 32 * 1024
_MAX_QUOTE_MARKS = 8  # deeper quotes are marked as this deep: hostile nesting would multiply the output
_SPACES = re.compile(r"\s+")
_BLOCKS = frozenset(
    "address article blockquote dd div dl dt footer h1 h2 h3 h4 h5 h6 header hr li ol p pre section table tr ul".split()
)
_HIDDEN = frozenset({"head", "script", "style", "template", "title"})


def is_quote(attrib) -> bool:
    """Whether a <blockquote> quotes a message, or only indents the learner's own text.

    Clients mark their quotes (type="cite", a class naming a quote, a left border); Gmail's and
    Outlook's indent button writes a blockquote with a margin and no border: that text is the learner's.
    """
    if (attrib.get("type") or "").lower() == "cite" or "quote" in (attrib.get("class") or "").lower():
        return True
    style = (attrib.get("style") or "").replace(" ", "").lower()
    if not style:
        return True  # a bare <blockquote>: a quote, as plain-text clients show it
    return "border" in style and "border:none" not in style


class _TextExtractor:
    """Collects an HTML email's text (lxml parser target), marking blockquotes with ">" as a plain-text client would."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._current: list[str] = []
        self._quote_depth = 0
        self._blockquotes: list[bool] = []  # for each open <blockquote>: is it a quote (or indentation)?
        self._hidden = 0
        self._pre = 0

    def flush(self, *, keep_empty: bool = False) -> None:
        """End the current line; an empty one is kept only for explicit breaks."""
        text = "".join(self._current)
        text = text.rstrip() if self._pre else text.strip()
        if text or keep_empty:
            self.lines.append(("> " * min(self._quote_depth, _MAX_QUOTE_MARKS) + text).rstrip())
        self._current = []

    def start(self, tag, attrib) -> None:
        """An opening tag: a break, a block, a quote or hidden content begins."""
        if not isinstance(tag, str):
            return
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self.flush(keep_empty=True)
        elif tag in _BLOCKS:
            self.flush()
            if tag == "blockquote":
                quote = is_quote(attrib)
                self._blockquotes.append(quote)
                self._quote_depth += quote
            self._pre += tag == "pre"
            if tag == "li":
                self._current.append("- ")

    def end(self, tag) -> None:
        """A closing tag (libxml2 closes what the author left open)."""
        if not isinstance(tag, str):
            return
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.flush()
            if tag == "p":
                self.flush(keep_empty=True)  # paragraphs are separated by a blank line
            if tag == "blockquote" and self._blockquotes:
                self._quote_depth = max(0, self._quote_depth - self._blockquotes.pop())
            self._pre = max(0, self._pre - (tag == "pre"))

    def data(self, data: str) -> None:
        """Text: kept as written inside <pre>, whitespace collapsed elsewhere, as browsers show it."""
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
            self._current.append(_SPACES.sub(" ", data.replace("\xa0", " ")))

    def comment(self, text) -> None:
        """Comments are not shown."""

    def close(self) -> None:
        """The parser's end: the last line is ended by the caller."""


def html_to_text(html: str, budget: Budget | None = None) -> str:
    """Plain text of an HTML-only email, blockquotes as ">" lines, ready for visible_reply()."""
    html = html[:MAX_HTML_CHARS].replace("\x00", "")
    if not html.strip():
        return ""
    extractor = _TextExtractor()
    parser = etree.HTMLParser(target=extractor, no_network=True, recover=True, encoding="utf-8")
    try:
        for start in range(0, len(html), _CHUNK):
            parser.feed(html[start : start + _CHUNK].encode("utf-8", "replace"))
            if budget is not None and budget.spent():
                break  # keep what was read: the reply is at the top
        parser.close()
    except etree.LxmlError:
        pass  # libxml2 recovers from almost anything; what it read before giving up is kept
    extractor.flush()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(extractor.lines)).strip()


_STUB_WORDS = 20  # "This message is in HTML format; please use a client that shows it." and the like


def body_text(plain: str, html: str, budget: Budget | None = None) -> str:
    """The text of an email with a text/plain part, an HTML part or both: the plain text, unless it is a stub.

    A stub is a short plain part that is not the HTML's text ("View this email in your browser"):
    a real plain part, however short ("Yes, Thursday works."), says what the HTML says.
    """
    if not html.strip() or len(plain.split()) >= _STUB_WORDS:
        return plain
    from_html = html_to_text(html, budget)
    plain_words = [word.casefold() for word in plain.split()]
    html_words = {word.casefold() for word in from_html.split()}
    shared = sum(word in html_words for word in plain_words)
    return plain if plain_words and shared * 2 >= len(plain_words) else from_html
