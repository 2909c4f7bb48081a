"""Where an email's quoted history starts, told by its shape rather than by one client's wording.

Mail clients write the start of the history in a few shapes, whatever the language:
- an attribution line ending in ":" that names the sender (an address) or the time, followed by
  ">"-quoted lines (Gmail, Apple Mail, Thunderbird, Yahoo and Proton apps), sometimes wrapped onto
  two lines ("Le lun. 15 nov. 2021 à 19:42, X <x@y>" / "a écrit :");
- a header block, "From:/Sent:/To:/Subject:" in the client's language, the From line sometimes
  wrapped, often after a line of underscores (Outlook, Samsung, Yahoo web);
- a separator such as "-----Original Message-----" or Zoho's "---- On ... wrote ----";
- or simply the first ">" line.
After a ">"-quoted start the learner may answer between or below the quoted lines; after a header
block or a separator the quoted text is not marked, so everything below it is history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from drip.domain.budget import Budget

_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b|\d{4}年|\d{4}년")
_ENDS_LIKE_ATTRIBUTION = re.compile(r"[:：]\s*$")
# The second half of an attribution Gmail wrapped: the verb alone, or the address closing it.
_WRAPPED_TAIL = re.compile(
    r"^\s*(?:<?[\w.+'-]+@[\w.-]+>?\)?.{0,40}|a écrit|escribió|escreveu|wrote|schrieb|ha scritto|schreef|skrev|napisał\(a\))\s*[:：]\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*-{2,}\s*(\S.{1,120}?)\s*-{2,}\s*$")
# What a separator line says ("Original Message" and its translations, Zoho's "On ... wrote"): a
# learner's own "--- Part two ---" is not one.
_SEPARATOR_WORDS = re.compile(
    r"original|origine|ursprüngliche|oorspronkelijk|oprindelig|ursprungligt|mensaje|messaggio|mensagem|message|"
    r"nachricht|bericht|meddel|forwarded|weitergeleitet|transféré|wrote|écrit|schrieb|escribió|scritto|escreveu|@",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_HEADER = re.compile(r"^\s*\*{0,2}([^\W\d_][^:：<>@]{0,24}?)\*{0,2}\s?[:：]\*{0,2}(?:\s|$)")
# "From" in the languages of the clients learners use; the rest of the block may say anything.
_FROM_LABELS = {
    "from",
    "de",
    "von",
    "van",
    "da",
    "fra",
    "från",
    "od",
    "от",
    "lähettäjä",
    "kimden",
    "feladó",
    "afzender",
    "remitente",
    "expéditeur",
    "差出人",
    "发件人",
    "寄件者",
    "보낸 사람",
    "보낸사람",
}
_HEADER_LOOKAHEAD = 8
_QUOTE_LOOKAHEAD = 3
# Longer lines are prose, never an attribution, header or separator: they never reach those
# patterns, which keeps each of them linear on hostile lines of any length.
_MAX_ATTRIBUTION = 300
_MAX_SEPARATOR = 160
_MAX_HEADER_LINE = 1000

Style = Literal["quoted", "block"]


@dataclass(frozen=True)
class HistoryStart:
    """Where the quoted history begins (line index) and how far its opening lines run."""

    line: int
    end: int  # first line after the attribution, header block or separator
    style: Style  # "quoted": ">" lines follow and answers may sit between them; "block": all below is history
    answer: str = ""  # the learner's words before the attribution on its own line ("Yes, Thursday works.")


def is_quoted(line: str) -> bool:
    """Whether a line is ">"-quoted."""
    return line.lstrip().startswith(">")


def unquoted(line: str) -> str:
    """A quoted line's text without its ">" marks."""
    return re.sub(r"^\s*(?:>\s?)+", "", line)


def _next_text(lines: list[str], start: int, limit: int) -> int | None:
    for index in range(start, min(len(lines), start + limit)):
        if lines[index].strip():
            return index
    return None


# A client that joins a plain-text reply's last line with the attribution ("Yes, Thursday works. On
# Wed, Apr 4, 2026 at 3:59 PM, Bob <bob@example.org> wrote:"): the attribution opens after a sentence.
_SENTENCE_THEN_OPENER = re.compile(r"[.!?。]\s+(?=(?:On|Le|Am|El|Em|Il|Op|Den|På|W dniu|Dnia|No dia)\s)")
_WRAP_LINE = 60  # the second and third lines of a wrapped attribution are short


_OPENS_ATTRIBUTION = re.compile(r"^\s*(?:On|Le|Am|El|Em|Il|Op|Den|På|W|Dnia|No|\d)\b")


def _answer_before(line: str) -> str:
    """The learner's sentences before an attribution on the same line ("" when the line is only one)."""
    if _OPENS_ATTRIBUTION.match(line):
        return ""  # "Le mar. 4 mars 2025 à 09:00, …": the abbreviation's dot ends no sentence
    for found in _SENTENCE_THEN_OPENER.finditer(line):
        rest = line[found.end() :]
        if _ADDRESS.search(rest) or _TIME.search(rest):
            return line[: found.start() + 1].strip()
    return ""


def _wrapped(lines: list[str], index: int) -> tuple[str, int]:
    """The attribution starting at this line joined with the one or two lines a client wrapped it onto."""
    line = lines[index]
    if _ENDS_LIKE_ATTRIBUTION.search(line):
        return line, index + 1
    nxt = lines[index + 1] if index + 1 < len(lines) else ""
    if len(nxt) <= _MAX_ATTRIBUTION and _WRAPPED_TAIL.match(nxt):
        return line.rstrip() + " " + nxt.strip(), index + 2
    third = lines[index + 2] if index + 2 < len(lines) else ""
    # "On Dec 16, 2025, at 12:47 PM, Corey Donohoe" / "<corey@example.org>" / "wrote:"
    if (
        (_TIME.search(line) or _YEAR.search(line))
        and 0 < len(nxt.strip()) <= _WRAP_LINE
        and 0 < len(third.strip()) <= _WRAP_LINE
        and (third.strip() in (":", "：") or _WRAPPED_TAIL.match(third))  # "wrote:", "a écrit :", ":"
    ):
        return f"{line.rstrip()} {nxt.strip()} {third.strip()}", index + 3
    return line, index + 1


def _attribution(lines: list[str], index: int) -> HistoryStart | None:
    """An attribution at this line (one line or wrapped over two or three), if it is one."""
    line = lines[index]
    if is_quoted(line) or not line.strip() or len(line) > _MAX_ATTRIBUTION:
        return None
    joined, end = _wrapped(lines, index)
    if not _ENDS_LIKE_ATTRIBUTION.search(joined) or len(joined) > 300:
        return None
    names_sender = _ADDRESS.search(joined) or _TIME.search(joined)
    if not names_sender:
        return None
    following = _next_text(lines, end, _QUOTE_LOOKAHEAD)
    if following is not None and is_quoted(lines[following]):
        return HistoryStart(index, end, "quoted", _answer_before(line))
    # Yahoo's web client quotes without ">": then the attribution must look like one beyond doubt.
    if _ADDRESS.search(joined) and _TIME.search(joined) and _YEAR.search(joined) and following is not None:
        return HistoryStart(index, len(lines), "block", _answer_before(line))
    return None


def _header_block(lines: list[str], index: int) -> HistoryStart | None:
    """A From:/Sent:/To: block starting at this line (a separator line just above belongs to it)."""
    match = _HEADER.match(lines[index][:_MAX_HEADER_LINE])
    if match is None or match.group(1).strip().casefold() not in _FROM_LABELS:
        return None
    labels = sum(1 for line in lines[index + 1 : index + _HEADER_LOOKAHEAD] if _HEADER.match(line[:_MAX_HEADER_LINE]))
    if labels < 2:
        return None
    start = index
    above = index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and (_UNDERSCORES.match(lines[above]) or is_separator(lines[above])):
        start = above
    return HistoryStart(start, len(lines), "block")


def is_header_line(line: str) -> bool:
    """Whether a line is one of a header block's "Label: value" lines (any label)."""
    return _HEADER.match(line[:_MAX_HEADER_LINE]) is not None


def is_underscores(line: str) -> bool:
    """Whether a line is Outlook's line of underscores above a header block."""
    return _UNDERSCORES.match(line) is not None


def is_separator(line: str) -> bool:
    """Whether a line is a client's "-----Original Message-----" (in any language) or Zoho's "---- On ... wrote ----"."""
    if len(line) > _MAX_SEPARATOR:
        return False
    match = _SEPARATOR.match(line)
    return match is not None and _SEPARATOR_WORDS.search(match.group(1)) is not None


def history_start(lines: list[str], budget: Budget | None = None) -> HistoryStart | None:
    """The first place the quoted history starts, or None when the email quotes nothing (OverBudget past `budget`).

    ">" lines above an attribution, header block or separator are the learner's own (">>> see below",
    "> 5 years of practice"): the history starts where its attribution says it does.
    """
    first_quoted = None
    for index, line in enumerate(lines):
        if budget is not None and index % 64 == 0:
            budget.check()
        if is_quoted(line):
            first_quoted = index if first_quoted is None else first_quoted
            continue
        found = _attribution(lines, index) or _header_block(lines, index)
        if found is None and is_separator(line):
            found = HistoryStart(index, len(lines), "block")
        if found is not None:
            return found
    return None if first_quoted is None else HistoryStart(first_quoted, first_quoted, "quoted")
