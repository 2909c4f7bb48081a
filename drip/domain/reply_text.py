"""The part of an inbound email the learner actually wrote: no quoted history, no signature.

Where the history starts is told by its shape (domain.quoting): attribution lines in any language,
header blocks, separators, ">" quotes. Below a ">"-quoted start, what the learner wrote between or
under the quoted lines is kept, each answer with the quoted question it answers as context. What
is left above is cleaned by mail-parser-reply (module `mailparser_reply`), which knows sign-offs and
disclaimers in a dozen languages; a sign-off is only removed when it is short, so a practice
report that merely contains "Thanks, it helped..." is not cut in half. Phone and webmail
signatures ("Sent from my iPhone", "Get Outlook for Android", in several languages) and "-- "
signatures are removed. Measured on tests/unit/reply_corpus with `python -m bench.reply_corpus`.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

from drip.domain.quoting import HistoryStart, history_start, is_mobile_signature, is_quoted, unquoted

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


def _without_signatures(lines: list[str]) -> list[str]:
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
    r"abraços|abrazos|hälsningar|mvh)\b[\w\s!,.]{0,20}$",
    re.IGNORECASE,
)


def _without_sign_off(text: str) -> str:
    """The text without a short closing paragraph such as "Merci,\nAna" (only when something stands above it)."""
    paragraphs = text.split("\n\n")
    last = [line.strip() for line in paragraphs[-1].splitlines() if line.strip()]
    if len(paragraphs) < 2 or not last or len(last) > 3 or not _SIGN_OFF.match(last[0]):
        return text
    if any(len(line.split()) > _SIGN_OFF_MAX_WORDS for line in last):
        return text
    return "\n\n".join(paragraphs[:-1]).strip()


def _library_clean(text: str) -> str:
    """The text without the sign-off and disclaimers mail-parser-reply finds in it."""
    if not text:
        return text
    latest = EmailMessage(text, languages=list(_LANGUAGES), keep_hyphen_lists=True).read().replies[0]
    if latest.headers:
        return text  # the history was cut already: a "header" found here is the learner's own line
    body = latest.content
    for disclaimer in latest.disclaimers:
        body = body.replace(disclaimer, "")
    if latest.signatures and _is_signature(latest.signatures):
        body = body.replace(latest.signatures, "")
    return _without_sign_off(body.strip())


def _tidy(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def _answers(rest: list[str]) -> list[tuple[list[str], list[str]]]:
    """The learner's blocks between and below quoted lines, each with the quoted paragraph just above it."""
    blocks: list[tuple[list[str], list[str]]] = []
    paragraph: list[str] = []
    context: list[str] = []
    current: list[str] | None = None
    for line in rest:
        if is_quoted(line):
            if current is not None:
                blocks.append((context, current))
                current, paragraph = None, []
            text = unquoted(line).strip()
            paragraph = paragraph + [text] if text else []
        elif line.strip() or current is not None:
            if current is None:
                context, current = paragraph, []
            current.append(line)
    if current is not None:
        blocks.append((context, current))
    return blocks


_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s")


def _question(paragraph: list[str]) -> list[str]:
    """The quoted lines an answer refers to: the paragraph above it, from its last numbered item on."""
    items = [index for index, line in enumerate(paragraph) if _LIST_ITEM.match(line)]
    return paragraph[items[-1] :] if items else paragraph


def _interleaved(rest: list[str]) -> bool:
    """Whether the learner wrote between quoted lines (not only below the whole quote)."""
    seen_text = False
    for line in rest:
        if not is_quoted(line) and line.strip():
            seen_text = True
        elif seen_text and is_quoted(line) and unquoted(line).strip():
            return True
    return False


def _fallback(lines: list[str], start: HistoryStart) -> str:
    """Every unquoted line but the attribution: kept when the splitting found nothing the learner wrote."""
    if start.style != "quoted":
        return ""
    kept = [line for index, line in enumerate(lines) if not is_quoted(line) and not start.line <= index < start.end]
    return _tidy(_without_signatures(kept))


def visible_reply(text: str) -> str:
    """The new text of an inbound email body: no quoted history or signature, inline answers with their question."""
    if not text or not text.strip():
        return ""
    lines = text[:_MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").split("\n")
    start = history_start(lines)
    top = lines if start is None else lines[: start.line]
    segments = [_library_clean(_tidy(_without_signatures(top)))]
    if start is not None and start.style == "quoted":
        rest = lines[start.end :]
        with_context = _interleaved(rest)
        for context, block in _answers(rest):
            answer = _tidy(_without_signatures(block))
            if not answer:
                continue
            quoted = "\n".join("> " + line for line in _question(context)) if with_context and context else ""
            segments.append(f"{quoted}\n{answer}" if quoted else answer)
        if len(segments) > 1:
            segments[-1] = _library_clean(segments[-1]) if not with_context else segments[-1]
    result = "\n\n".join(segment for segment in segments if segment)
    return result if result or start is None else _fallback(lines, start)
