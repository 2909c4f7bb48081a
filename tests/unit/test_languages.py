"""domain/languages.py and domain/translations.py: a learner's tag, the language they read, a step's translations."""

from __future__ import annotations

import pytest

from drip.domain import translations
from drip.domain.languages import SUPPORTED, check_sequence_language, check_tag, reading
from drip.domain.learners import LearnerInvalid, validate_learner


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("es", "es"),
        ("ES", "es"),
        (" fr ", "fr"),
        ("es-mx", "es-MX"),
        ("pt_br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("it", "it"),
        ("es-419", "es-419"),
    ],
)
def test_a_tag_is_kept_in_canonical_case(raw, stored):
    assert check_tag(raw) == stored


@pytest.mark.parametrize("raw", ["english", "e", "xx", "es-", "es--MX", "12", "es MX", "fr-toolongsubtag", "x" * 40])
def test_a_malformed_or_unknown_tag_is_refused(raw):
    with pytest.raises(ValueError):
        check_tag(raw)


@pytest.mark.parametrize(
    ("learner", "sequence", "reads"),
    [
        ("es", "en", "es"),
        ("es-MX", "en", "es"),
        ("pt-BR", "fr", "pt"),
        ("it", "fr", "fr"),
        (None, "de", "de"),
        ("it", None, "en"),
        (None, None, "en"),
    ],
)
def test_a_learner_reads_their_language_else_the_sequence_s(learner, sequence, reads):
    assert reading(learner, sequence) == reads


def test_a_sequence_is_written_in_a_supported_language():
    assert check_sequence_language(None) == "en" and check_sequence_language("FR") == "fr"
    with pytest.raises(ValueError):
        check_sequence_language("it")


def test_a_learner_row_checks_its_language_with_the_other_fields():
    row = validate_learner({"name": "Ana", "phone": "+1 201 555 0123", "language": "es-mx"}, default_region="US")
    assert row.language == "es-MX"
    with pytest.raises(LearnerInvalid) as invalid:
        validate_learner({"name": "Ana", "phone": "nope", "language": "espanol"}, default_region="US")
    assert set(invalid.value.errors) == {"phone", "language"}


QUIZ = translations.StepShape(sms=True, choices=["Ask", "Tell"], quiz=True, follow_up={"after": "P2D", "body": "Hi"})


def test_a_translation_is_checked_field_by_field():
    checked, errors = translations.check(
        {"ES": {"body": "¿Qué? {{ reply_hint }}", "choices": [" Preguntar ", "Decir"], "explain": "Porque sí."}}, QUIZ
    )
    assert errors == {}
    assert checked == {
        "es": {"body": "¿Qué? {{ reply_hint }}", "choices": ["Preguntar", "Decir"], "explain": "Porque sí."}
    }
    assert translations.check({}, QUIZ) == (None, {})


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"it": {"body": "Ciao"}}, "translations.it"),
        ({"es": {"body": ""}}, "translations.es.body"),
        ({"es": {"body": "{{ nope }}"}}, "translations.es.body"),
        ({"es": {"body": "Hola", "choices": ["Uno"]}}, "translations.es.choices"),
        ({"es": {"body": "Hola", "colour": "red"}}, "translations.es"),
        ({"es": {"body": "Hola", "follow_up": {"body": "{{ nope }}"}}}, "translations.es.follow_up.body"),
        ({"es": {"body": "Hola", "explain": "x" * 501}}, "translations.es.explain"),
        (["es"], "translations"),
    ],
)
def test_a_bad_translation_names_its_field(given, field):
    _, errors = translations.check(given, QUIZ)
    assert field in errors, errors


def test_an_info_step_has_no_choices_explanation_or_follow_up_to_translate():
    info = translations.StepShape(sms=True)
    _, errors = translations.check(
        {"fr": {"body": "Salut", "choices": ["a", "b"], "explain": "x", "follow_up": {"body": "y"}}}, info
    )
    assert set(errors) == {"translations.fr.choices", "translations.fr.explain", "translations.fr.follow_up"}


def test_a_learner_gets_their_translation_or_the_step_s_own_text():
    own = translations.StepText("Which?", None, ["Ask", "Tell"], "Because.", {"after": "P2D", "body": "Still?"})
    given = {
        "es": {"body": "¿Cuál?", "choices": ["Preguntar", "Decir"], "follow_up": {"body": "¿Sigues?", "subject": None}}
    }
    spanish = translations.pick("es", own, given)
    assert (spanish.body, spanish.choices, spanish.explain) == ("¿Cuál?", ["Preguntar", "Decir"], "Because.")
    assert spanish.follow_up == {"after": "P2D", "body": "¿Sigues?"}
    assert translations.pick("fr", own, given) is own
    assert translations.missing(given, SUPPORTED, "en") == ["fr", "de", "pt"]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Responde A o B.", "GSM-7"),
        ("¿Qué tal, Lucía?", "UCS-2"),  # í is outside GSM-7 (é is in it)
        ("Répondez A ou B. Ça va ?", "GSM-7"),  # é, Ç are GSM-7
        ("Vous pouvez arrêter à tout moment.", "UCS-2"),  # ê is not
        ("Übung macht den Meister, ß inklusive.", "GSM-7"),
        ("Você não recebe mais.", "UCS-2"),  # ê, ã
    ],
)
def test_segments_are_counted_for_each_language_s_characters(text, encoding):
    from drip.domain.templates import sms_segments

    counted = sms_segments(text)
    assert counted.encoding == encoding
    assert counted.per_segment == (160 if encoding == "GSM-7" else 70)


def test_drip_s_own_words_change_the_encoding_a_learner_is_billed_for():
    from drip.domain.messages import reply_hint
    from drip.domain.templates import sms_segments

    body = "Lee, how did it go? " * 4  # 80 GSM-7 characters: one segment on its own
    english = sms_segments(body + reply_hint("practice", "sms", None, "en"))
    portuguese = sms_segments(body + reply_hint("practice", "sms", None, "pt"))  # "prática": á is UCS-2
    assert (english.encoding, english.segments) == ("GSM-7", 1)
    assert (portuguese.encoding, portuguese.segments) == ("UCS-2", 2)
