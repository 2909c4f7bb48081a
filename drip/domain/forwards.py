"""What a forward, or a message that is all quote, still carries: a reply is never empty when the email has text.

A learner who forwards a colleague's notes without a word of their own still sent those notes:
the forwarded text is kept below its marker line ("---------- Forwarded message ---------",
"Début du message réexpédié :", in the client's language), without the header block.
"""

from __future__ import annotations

import re

from drip.domain.quoting import HistoryStart, is_header_line, is_separator, is_underscores

_FORWARD_WORDS = re.compile(
    r"forward|réexpédié|transféré|weitergeleitet|reenviado|encaminhad|inoltrat|doorgestuurd|vidarebefordra|"
    r"videresend|przekazan|転送",
    re.IGNORECASE,
)
_MARKER_MAX = 80


def is_forward_marker(line: str) -> bool:
    """Whether a line announces a forwarded message (in the client's language)."""
    text = line.strip()
    return bool(text) and len(text) <= _MARKER_MAX and _FORWARD_WORDS.search(text) is not None


def only_forwarded(top: list[str]) -> bool:
    """Whether the learner wrote nothing above the history but, perhaps, a forward marker."""
    return all(is_forward_marker(line) for line in top if line.strip())


def forwarded_text(lines: list[str], start: HistoryStart) -> list[str]:
    """The marker line (if any) and the forwarded body below the header block starting at `start`."""
    marker = [line.strip() for line in lines[: start.line] if is_forward_marker(line)]
    index = start.line
    if is_separator(lines[index]) or is_forward_marker(lines[index]):
        marker = marker or [lines[index].strip()]
        index += 1
    while index < len(lines) and (is_underscores(lines[index]) or not lines[index].strip()):
        index += 1
    headers = index
    while index < len(lines) and is_header_line(lines[index]):
        index += 1
    if index > headers:  # a header block: its body starts after the blank line closing it
        while index < len(lines) and lines[index].strip():
            index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    body = lines[index:]
    return marker + body if any(line.strip() for line in body) else []
