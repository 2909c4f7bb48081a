"""The reply corpus: Drip keeps exactly what learners wrote in ≥ 95 % of the emails (bench/reply_corpus.py)."""

import re

import pytest

from bench.reply_corpus import CORPUS, drip_text, load_cases
from bench.reply_groups import CATEGORIES, client_of, lost_words

# mail-parser-reply passes re.sub's count positionally, which Python 3.13 deprecates; harmless here.
pytestmark = pytest.mark.filterwarnings("ignore:'count' is passed as positional argument:DeprecationWarning")
ALL_CASES = load_cases()
CASES = [case for case in ALL_CASES if not case.batch]  # written before issue 27


def _normal(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text.strip())


def test_the_corpus_is_as_wide_as_promised():
    assert len(CASES) >= 80
    clients = {case.name.split("-")[0] for case in CASES}
    assert {
        "gmail",
        "outlook",
        "apple",
        "thunderbird",
        "yahoo",
        "proton",
        "zoho",
        "inline",
        "bottom",
        "html",
        "raw",
    } <= clients
    languages = {part for case in CASES for part in case.name.split("-") if len(part) == 2}
    assert len(languages) >= 8, languages


ISSUE27 = [case for case in ALL_CASES if case.batch == "issue27"]


def test_issue_27_grew_the_corpus_in_every_client_format_and_language():
    assert len(ISSUE27) >= 60
    clients = {client_of(case.name) for case in ISSUE27}
    assert {
        "gmail",
        "outlook",
        "apple",
        "thunderbird",
        "yahoo",
        "proton",
        "fastmail",
        "zoho",
        "samsung",
        "hey",
    } <= clients
    assert {case.kind for case in ISSUE27} == {"txt", "html", "eml"}
    raw = [case.content for case in ISSUE27 if case.kind == "eml"]
    assert any("quoted-printable" in content for content in raw) and any("base64" in content for content in raw)
    languages = {part for case in ISSUE27 for part in case.name.split("-") if len(part) == 2}
    assert len(languages) >= 10, languages
    named = {label for token, label in CATEGORIES for case in ISSUE27 if token in case.name}
    assert len(named) >= 12, named


def test_case_names_are_unique_across_batches():
    names = [case.name for case in ALL_CASES]
    assert len(names) == len(set(names))


def test_no_learners_word_is_lost_anywhere_in_the_corpus():
    lost = {case.name: lost_words(case.expected, drip_text(case)) for case in ALL_CASES}
    assert {name: words for name, words in lost.items() if words} == {}


def test_at_least_97_percent_of_each_batch_is_kept_exactly():
    for batch in (CASES, ISSUE27):
        missed = [case.name for case in batch if _normal(drip_text(case)) != _normal(case.expected)]
        assert len(missed) <= len(batch) * 0.03, missed


def test_at_least_95_percent_of_the_corpus_is_kept_exactly():
    missed = [case.name for case in CASES if _normal(drip_text(case)) != _normal(case.expected)]
    assert len(missed) <= len(CASES) * 0.05, missed


@pytest.mark.parametrize(
    "name",
    [
        "inline-gmail-en-three-questions",
        "gmail-web-fr-two-line",
        "outlook-desktop-en-wrapped-from",
        "outlook-desktop-fr-wrapped-from",
        "html-gmail-en-inline",
        "raw-mime-iphone-de-html-only",
    ],
)
def test_acceptance_cases(name):
    case = next(case for case in CASES if case.name == name)
    assert drip_text(case) == case.expected, CORPUS / name


def test_three_inline_answers_are_all_kept_with_their_questions():
    case = next(case for case in CASES if case.name == "inline-gmail-en-three-questions")
    kept = drip_text(case)
    for answer in ("I interrupted a colleague twice.", "I listen before I answer.", "without apologising."):
        assert answer in kept
    assert kept.count("> ") == 6 and "See you there" not in kept and "wrote:" not in kept
