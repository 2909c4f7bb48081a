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

Style = Literal["quoted", "block"]


@dataclass(frozen=True)
class HistoryStart:
    """Where the quoted history begins (line index) and how far its opening lines run."""

    line: int
    end: int  # first line after the attribution, header block or separator
    style: Style  # "quoted": ">" lines follow and answers may sit between them; "block": all below is history


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


def _attribution(lines: list[str], index: int) -> HistoryStart | None:
    """An attribution at this line (one line or Gmail's two), if it is one."""
    line = lines[index]
    if is_quoted(line) or not line.strip():
        return None
    joined, end = line, index + 1
    nxt = lines[index + 1] if index + 1 < len(lines) else ""
    if not _ENDS_LIKE_ATTRIBUTION.search(line) and _WRAPPED_TAIL.match(nxt):
        joined, end = line.rstrip() + " " + nxt.strip(), index + 2
    if not _ENDS_LIKE_ATTRIBUTION.search(joined) or len(joined) > 300:
        return None
    names_sender = _ADDRESS.search(joined) or _TIME.search(joined)
    if not names_sender:
        return None
    following = _next_text(lines, end, _QUOTE_LOOKAHEAD)
    if following is not None and is_quoted(lines[following]):
        return HistoryStart(index, end, "quoted")
    # Yahoo's web client quotes without ">": then the attribution must look like one beyond doubt.
    if _ADDRESS.search(joined) and _TIME.search(joined) and _YEAR.search(joined) and following is not None:
        return HistoryStart(index, len(lines), "block")
    return None


def _header_block(lines: list[str], index: int) -> HistoryStart | None:
    """A From:/Sent:/To: block starting at this line (a separator line just above belongs to it)."""
    match = _HEADER.match(lines[index])
    if match is None or match.group(1).strip().casefold() not in _FROM_LABELS:
        return None
    labels = sum(1 for line in lines[index + 1 : index + _HEADER_LOOKAHEAD] if _HEADER.match(line))
    if labels < 2:
        return None
    start = index
    above = index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and (_UNDERSCORES.match(lines[above]) or is_separator(lines[above])):
        start = above
    return HistoryStart(start, len(lines), "block")


def is_separator(line: str) -> bool:
    """Whether a line is a client's "-----Original Message-----" (in any language) or Zoho's "---- On ... wrote ----"."""
    match = _SEPARATOR.match(line)
    return match is not None and _SEPARATOR_WORDS.search(match.group(1)) is not None


def history_start(lines: list[str]) -> HistoryStart | None:
    """The first place the quoted history starts, or None when the email quotes nothing."""
    for index, line in enumerate(lines):
        if is_quoted(line):
            return HistoryStart(index, index, "quoted")
        found = _attribution(lines, index) or _header_block(lines, index)
        if found is not None:
            return found
        if is_separator(line):
            return HistoryStart(index, len(lines), "block")
    return None


# Lines a phone or webmail adds under what the learner wrote, in the languages of the corpus.
_DEVICE = r"(?:i(?:phone|pad)|android|galaxy|samsung|blackberry|mobile|smartphone|phone|handy|móvil|celular|telefono)"
_APP = r"(?:yahoo(?: mail)?|outlook|proton ?mail|gmail|mail|aol)"
_MOBILE_SIGNATURES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"^(?:sent|envoyé|gesendet|enviado|verzonden|verstuurd|inviato|skickat|sendt|wysłane|lähetetty)\s+(?:from|de|depuis|von|desde|do|vanaf|met|da|dal|från|fra|z|with|mit|avec|con|com)\b.{{0,60}}(?:{_DEVICE}|{_APP})\b.{{0,60}}$",
        rf"^von meine[mr]? .{{0,40}}{_DEVICE}.{{0,20}} gesendet\.?$",
        r"^(?:get|télécharger|obtener|obter(?: o)?|scarica|baixe o|hämta) outlook (?:for|pour|para|per|för) (?:ios|android)\b.*$",
        r"^outlook (?:für|voor) (?:ios|android) (?:herunterladen|downloaden)\b.*$",
        r"^(?:sent|gesendet|envoyé|enviado) (?:with|mit|avec|con|com) (?:der sicheren e-mail-app )?proton ?mail.*$",
    )
]


def is_mobile_signature(line: str) -> bool:
    """Whether a line is what a phone or webmail adds under the text ("Sent from my iPhone", ...)."""
    text = line.strip()
    return bool(text) and len(text) <= 160 and any(pattern.match(text) for pattern in _MOBILE_SIGNATURES)
