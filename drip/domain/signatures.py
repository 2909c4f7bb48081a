"""Signatures under what a learner wrote: phone and webmail lines, "-- " blocks, short sign-offs.

Phone and webmail lines ("Sent from my iPhone", "Get Outlook for Android", in several languages)
are removed only when the whole line is one: a learner's sentence that starts the same way
("Sent from my desk, which is easier than my phone.") stays. Sign-offs and disclaimers are found
by mail-parser-reply (module `mailparser_reply`), which knows them in a dozen languages; a block it
calls a signature is removed only when it looks like one (short lines), so a practice report that
merely contains "Thanks, it helped..." is not cut in half.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

# Lines a phone or webmail adds under what the learner wrote, in the languages of the corpus. Each
# pattern names the device or app early; what follows it (`tail`) must stay short and hold no
# sentence, or the line is the learner's ("Sent from my desk, which is easier than my phone.").
_DEVICE = r"(?:i(?:phone|pad)|android|galaxy|samsung|blackberry|mobile|smartphone|phone|handy|móvil|celular|telefono)"
_APP = r"(?:yahoo(?: mail)?|outlook|proton ?mail|gmail|mail|aol|spark|hey|fastmail|zoho mail)"
_LINK = r"(?:\s*<\S{1,100}>)?"
_MOBILE_SIGNATURES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"^(?:sent|envoyé|gesendet|enviado|verzonden|verstuurd|inviato|skickat|sendt|wysłane|lähetetty)\s+(?:from|via|de|depuis|von|desde|do|vanaf|met|da|dal|från|fra|z|with|mit|avec|con|com)\b[^.,;!?]{{0,40}}?\b(?:{_DEVICE}|{_APP})\b(?P<tail>.{{0,60}})$",
        rf"^von meine[mr]? .{{0,40}}{_DEVICE}.{{0,20}} gesendet\.?$",
        rf"^(?:get|télécharger|obtener|obter(?: o)?|scarica|baixe o|hämta) outlook (?:for|pour|para|per|för) (?:ios|android){_LINK}\s*$",
        r"^outlook (?:für|voor) (?:ios|android) (?:herunterladen|downloaden)\b.{0,60}$",
        r"^(?:sent|gesendet|envoyé|enviado) (?:with|mit|avec|con|com) (?:der sicheren e-mail-app )?proton ?mail(?P<tail>.{0,60})$",
        r"^(?:iphone|ipad|android|スマートフォン)から送信$",
    )
]
_TAIL_WORDS = 6


def is_mobile_signature(line: str) -> bool:
    """Whether a line is what a phone or webmail adds under the text ("Sent from my iPhone", ...)."""
    text = line.strip()
    if not text or len(text) > 160:
        return False
    for pattern in _MOBILE_SIGNATURES:
        found = pattern.match(text)
        if found is not None:
            tail = (found.groupdict().get("tail") or "").strip().rstrip(".")
            if len(tail.split()) <= _TAIL_WORDS and not any(mark in tail for mark in ".!?;"):
                return True
    return False


# Real languages only: the library also ships vendor-specific "languages" (e.g. "david").
_LANGUAGES = [code for code in MAIL_LANGUAGES if len(code) == 2]
# Longer runs of spaces or tabs are shortened to this for mail-parser-reply, whose patterns start
# with `\s*^` and so retry every position of a run; no one writes more than this to mean something.
_MAX_SPACE_RUN = 8
_SPACE_RUN = re.compile(r"[ \t]{%d,}" % (_MAX_SPACE_RUN + 1))
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


def without_signatures(lines: list[str]) -> list[str]:
    """The lines up to a "-- " signature, without phone and webmail signature lines."""
    kept = []
    for line in lines:
        if line.rstrip() == "--":
            break
        if not is_mobile_signature(line):
            kept.append(line)
    return kept


# Sign-offs mail-parser-reply does not know in every language ("Merci,", "Danke!", "Obrigada").
_SIGN_OFF = re.compile(
    r"^(?:merci|danke|gracias|grazie|obrigad[oa]|bedankt|dank je|tack|tak|dzięki|dziękuję|cheers|thanks|thank you|"
    r"best|regards|saludos|un saludo|grüße|gruß|liebe grüße|cordialement|bises|groetjes|ciao|a presto|atentamente|"
    r"abraços|abrazos|hälsningar|mvh|atenciosamente|cordiali saluti|met vriendelijke groet|viele grüße|pozdrawiam)\b[\w\s!,.]{0,20}$",
    re.IGNORECASE,
)


def _without_sign_off(text: str) -> str:
    """The text without a closing paragraph such as "Merci,\nAna" or "Best regards,\nAna Souza\nTeam lead | Acme".

    Only when something stands above it, its first line is a sign-off alone, and every line is short:
    a name, a role, a company, a number. A sentence in it keeps the whole paragraph.
    """
    paragraphs = text.split("\n\n")
    last = [line.strip() for line in paragraphs[-1].splitlines() if line.strip()]
    if len(paragraphs) < 2 or not last or len(last) > _SIGNATURE_MAX_LINES or not _SIGN_OFF.match(last[0]):
        return text
    if len(last[0].split()) > _SIGN_OFF_MAX_WORDS or len(last) > 1 and len(last[1].split()) > _SIGN_OFF_MAX_WORDS:
        return text  # the line under the sign-off is a name
    if len(last) > 3 and not (last[0].endswith(",") or len(last[0].split()) <= 2):
        return text  # a block under "Thanks for the session!" may be the learner's prose: kept
    if any(len(line.split()) > _SIGNATURE_MAX_LINE_WORDS or line.endswith((".", "!", "?")) for line in last[2:]):
        return text
    return "\n\n".join(paragraphs[:-1]).strip()


# mail-parser-reply's attribution patterns backtrack over the whole of a line starting with "On"
# (quadratic in its length), and sign-offs and disclaimers sit at the end: it reads only the last
# _LIBRARY_TAIL characters, and each line longer than _LIBRARY_LINE stands in as a short marker.
_LIBRARY_TAIL = 3_000
_LIBRARY_LINE = 200
_MARK = "\u2063"  # an invisible separator no one types: marks a stand-in line
_STAND_IN = re.compile(_MARK + r"(\d+)" + _MARK + r"[ a-z]*")


def _library_input(text: str) -> tuple[str, str, list[str]]:
    """The text kept as it is, the bounded tail handed to the library, and the long lines the markers stand for."""
    head, tail = "", text
    if len(text) > _LIBRARY_TAIL:
        cut = text.find("\n", len(text) - _LIBRARY_TAIL)
        head, tail = (text, "") if cut < 0 else (text[:cut], text[cut + 1 :])
    long_lines: list[str] = []
    lines = []
    for line in tail.split("\n"):
        if len(line) > _LIBRARY_LINE:
            # Nine words: never taken for a short sign-off line (see _is_signature).
            lines.append(f"{_MARK}{len(long_lines)}{_MARK} long line of prose kept as the learner wrote it")
            long_lines.append(line.strip())
        else:
            lines.append(line)
    return head, "\n".join(lines), long_lines


def _restored(text: str, long_lines: list[str]) -> str | None:
    """The library's output with the long lines back in place; None when a marker came back altered."""
    lines = []
    for line in text.split("\n"):
        if _MARK in line:
            stand_in = _STAND_IN.fullmatch(line.strip())
            if stand_in is None:
                return None
            line = long_lines[int(stand_in.group(1))]
        lines.append(line)
    return "\n".join(lines)


def library_clean(text: str) -> str:
    """The text without the sign-off and disclaimers mail-parser-reply finds in it."""
    if not text:
        return text
    text = _SPACE_RUN.sub(" " * _MAX_SPACE_RUN, text.replace(_MARK, ""))
    head, tail, long_lines = _library_input(text)
    if not tail.strip():
        return _without_sign_off(text)
    latest = EmailMessage(tail, languages=list(_LANGUAGES), keep_hyphen_lists=True).read().replies[0]
    if latest.headers:
        return text  # the history was cut already: a "header" found here is the learner's own line
    body = latest.content
    for disclaimer in latest.disclaimers:
        body = body.replace(disclaimer, "")
    if latest.signatures and _is_signature(latest.signatures):
        body = body.replace(latest.signatures, "")
    restored = _restored(body.strip(), long_lines)
    if restored is None:
        return _without_sign_off(text)  # when in doubt, the learner's lines stay
    return _without_sign_off((head + "\n" + restored).strip() if head else restored)
