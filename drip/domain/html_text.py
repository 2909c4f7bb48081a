"""An HTML-only email as the plain text a mail client would show, blockquotes marked with ">"."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _TextExtractor(HTMLParser):
    """Collects an HTML email's text, marking blockquotes with ">" like a plain-text client would."""

    _BLOCKS = frozenset(
        {
            "address",
            "article",
            "blockquote",
            "dd",
            "div",
            "dl",
            "dt",
            "footer",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "tr",
            "ul",
        }
    )
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
