"""Drip's own words in every language it writes: the catalogs are complete and current, and rendering
never mixes languages within Drip's words (properties over any step kind, channel, time and language)."""

from __future__ import annotations

import functools
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from babel import Locale
from babel.dates import format_timedelta
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from drip.domain import messages, quiz, when, words
from drip.domain.languages import DEFAULT, SUPPORTED
from drip.domain.words import CATALOGS

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in SUPPORTED if code != DEFAULT]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
KEYWORDS = {"say": (2,), "say_n": (2, 3), "mark": None}


def _key(msgid) -> str:
    """A message's id: its singular for a plural one."""
    return msgid if isinstance(msgid, str) else msgid[0]


def _text(value) -> str:
    """A message's text: every form of a plural one."""
    return value if isinstance(value, str) else " ".join(value)


def _po(language: str):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


def test_every_sentence_drip_writes_is_translated_in_every_language():
    with open(CATALOGS / "messages.pot", "rb") as file:
        template = {_key(message.id) for message in read_po(file) if message.id}
    assert len(template) > 40
    for language in TRANSLATED:
        catalog = {_key(message.id): message for message in _po(language) if message.id}
        assert set(catalog) == template, f"{language}: run make translations"
        for msgid, message in catalog.items():
            forms = [message.string] if isinstance(message.string, str) else list(message.string)
            assert all(forms) and "fuzzy" not in message.flags, f"{language} lacks {msgid!r}"
            for form in forms:
                assert set(PLACEHOLDER.findall(form)) == set(PLACEHOLDER.findall(msgid)), (language, msgid)
            # A sentence copied over in English is not a translation (a date pattern or a single word, such
            # as "Discussion" in French, may coincide).
            assert _text(message.string) != msgid or len(_tokens(PLACEHOLDER.sub("", msgid)) - {"eee", "mmm"}) <= 1, (
                language,
                msgid,
            )


def test_the_template_holds_exactly_the_sentences_in_the_code():
    method_map = [
        ("drip/**.py", "python"),
        ("templates/public/**.html", "jinja2"),
        ("templates/cohort/**.html", "jinja2"),
    ]
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, keywords=DEFAULT_KEYWORDS | KEYWORDS)
    }
    with open(CATALOGS / "messages.pot", "rb") as file:
        template = {_key(message.id) for message in read_po(file) if message.id}
    assert found == template, "run make translations"


def test_the_committed_mo_files_are_compiled_from_the_po_files():
    for language in TRANSLATED:
        compiled = io.BytesIO()
        write_mo(compiled, _po(language))
        compiled.seek(0)
        with open(CATALOGS / language / "LC_MESSAGES" / "messages.mo", "rb") as file:
            committed = read_mo(file)
        fresh = read_mo(compiled)
        assert {_key(m.id): m.string for m in committed if m.id} == {_key(m.id): m.string for m in fresh if m.id}, (
            language
        )


def test_a_language_without_a_catalog_is_never_asked_for():
    assert words.say("it", "Right!") == "Right!" and words.say("es", "Right!") == "¡Correcto!"


# Rendering never mixes languages: a word that only another language's catalog (or CLDR's relative
# times in it) uses never appears in what Drip writes in this one. Keywords (STOP, START, PARAR…) and
# the trainer's own text (choices, explanations) are not Drip's words and are left out of the check.
_WORD = re.compile(r"[^\W\d_]{3,}")
KINDS = ["poll", "quiz", "practice", "discussion", "live_prompt", "info"]
NOW = datetime(2026, 10, 8, 12, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def _drip_words(language: str, kind: str, channel: str, starts_at: datetime, right: bool) -> str:
    choices = ["Xq1", "Xq2", "Xq3"] if kind in ("poll", "quiz") else None
    parts = [
        messages.reply_hint(kind, channel, choices, language),
        when.starts_in(starts_at, NOW, UTC, language),
        when.starts_at_text(starts_at, UTC, language),
        quiz.verdict(right, None, language),
        words.say(
            language,
            "Drip training messages. Reply STOP to stop texts, START to get them again. Msg & data rates may apply.",
        ),
        words.acknowledgement("Thanks, your question is on the board.", language),
    ]
    mail = messages.email_message(
        delivery_id=1,
        to="a@example.com",
        subject="S",
        text="",
        unsubscribe_token="t",
        reply_token=None,
        config={"PUBLIC_BASE_URL": "https://drip.example"},
        language=language,
    )
    parts.append(mail.body)
    return "\n".join(parts)


def _tokens(text: str) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text) if not word.isupper()}


@functools.cache
def _vocabulary(language: str) -> frozenset[str]:
    """The words a language's own sources use: its catalog (English: the sentences as written) and CLDR's
    relative times, day and month names in it. Never the rendered output itself, which is what is checked."""
    if language == DEFAULT:
        with open(CATALOGS / "messages.pot", "rb") as file:
            sentences = [_text(m.id) for m in read_po(file) if m.id]
    else:
        sentences = [_text(m.string) for m in _po(language) if m.id]
    cldr = Locale.parse(language)
    times = [
        format_timedelta(timedelta(**{unit: amount}), threshold=amount, add_direction=True, locale=language)
        for unit in ("minutes", "days", "weeks")
        for amount in (1, 2, 5)
    ]
    names = [*cldr.days["format"]["abbreviated"].values(), *cldr.months["format"]["abbreviated"].values()]
    return frozenset(_tokens(" ".join(sentences + times + names)))


def _foreign(language: str) -> frozenset[str]:
    others = set().union(*(_vocabulary(other) for other in SUPPORTED if other != language))
    return frozenset(others - _vocabulary(language) - {"drip", "xq1", "xq2", "xq3", "example", "https"})


@settings(max_examples=150, deadline=None)
@given(
    language=st.sampled_from(SUPPORTED),
    kind=st.sampled_from(KINDS),
    channel=st.sampled_from(["sms", "email"]),
    ahead=st.integers(min_value=-3600, max_value=90 * 86400),
    right=st.booleans(),
)
def test_drip_s_words_are_all_in_the_learner_s_language(language, kind, channel, ahead, right):
    text = _drip_words(language, kind, channel, NOW + timedelta(seconds=ahead), right)
    stray = _tokens(text) & _foreign(language)
    assert not stray, f"{language} message has words of another language: {sorted(stray)}\n{text}"
