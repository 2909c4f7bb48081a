"""Replies in the five languages Drip writes: opt-out and HELP words, and choices in the learner's words."""

from __future__ import annotations

import pytest

from drip.domain.choices import parse_choice
from drip.domain.keywords import classify_keyword, keyword_language

CHOICES = ["Ask", "Tell", "Listen"]


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("STOP", "opt_out", "en"),
        ("PARAR", "opt_out", "es"),
        ("baja", "opt_out", "es"),
        ("ARRÊT", "opt_out", "fr"),
        ("Arret!", "opt_out", "fr"),
        ("STOPP", "opt_out", "de"),
        ("abmelden.", "opt_out", "de"),
        ("SAIR", "opt_out", "pt"),
        ("HELP", "help", "en"),
        ("AYUDA", "help", "es"),
        ("aide", "help", "fr"),
        ("Hilfe", "help", "de"),
        ("AJUDA?", "help", "pt"),
        ("ＰＡＲＡＲ", "opt_out", "es"),  # full-width letters, as some keyboards type
    ],
)
def test_opt_out_and_help_words_of_each_language(text, kind, language):
    assert classify_keyword(text) == kind
    assert keyword_language(text) == language


@pytest.mark.parametrize(
    "text", ["parar de enviar", "por favor baja", "je veux de l'aide", "Hilfe bitte", "sair agora"]
)
def test_a_sentence_is_never_a_keyword_in_any_language(text):
    assert classify_keyword(text) is None


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("opción 2", 1),
        ("Opcion 3", 2),
        ("respuesta B", 1),
        ("número 1", 0),
        ("dos", 1),
        ("réponse B", 1),
        ("Reponse: c", 2),
        ("choix 1", 0),
        ("trois", 2),
        ("Antwort 3", 2),
        ("antwort: a", 0),
        ("zwei", 1),
        ("opção 2", 1),
        ("Opcao B", 1),
        ("resposta três", 2),
        ("option 2", 1),
    ],
)
def test_a_choice_in_the_learner_s_words(text, index):
    assert parse_choice(text, CHOICES) == index


def test_a_choice_s_translated_text_counts_as_the_learner_read_it():
    spanish = ["Preguntar", "Decir", "Escuchar"]
    assert parse_choice("escuchar", CHOICES, spanish) == 2
    assert parse_choice("Decir.", CHOICES, spanish) == 1
    assert parse_choice("Tell", CHOICES, spanish) == 1  # the step's own text still counts
    assert parse_choice("Preguntar mucho", CHOICES, spanish) is None
    assert parse_choice("Decir", CHOICES, ["Preguntar"]) is None  # a translation of another shape is ignored
