"""Email replies in the five languages Drip writes keep the learner's words: each client's attribution
line, its header block and its phone signature, in en, es, fr, de and pt (the parser is #27's; these
are the languages' cases)."""

from __future__ import annotations

import pytest

from drip.domain.reply_text import visible_reply

pytestmark = pytest.mark.filterwarnings("ignore:'count' is passed as positional argument:DeprecationWarning")

ANSWER = {
    "en": "I tried the feedback model with my team.\nIt went well: two people asked for more.",
    "es": "Probé el modelo de feedback con mi equipo.\nSalió bien: dos personas pidieron más.",
    "fr": "J'ai essayé le modèle de feedback avec mon équipe.\nÇa s'est bien passé : deux personnes en redemandent.",
    "de": "Ich habe das Feedback-Modell mit meinem Team ausprobiert.\nEs lief gut: Zwei Leute wollten mehr.",
    "pt": "Experimentei o modelo de feedback com a minha equipe.\nCorreu bem: duas pessoas pediram mais.",
}
QUOTED = "> Hi, how did practising the feedback model go?\n> Reply to this email."

# Gmail's attribution line in each language.
GMAIL = {
    "en": "On Tue, Mar 4, 2025 at 9:00 AM Dana Trainer <reply+abc@in.drip.example> wrote:",
    "es": "El mar, 4 mar 2025 a las 9:00, Dana Trainer (<reply+abc@in.drip.example>) escribió:",
    "fr": "Le mar. 4 mars 2025 à 09:00, Dana Trainer <reply+abc@in.drip.example> a écrit :",
    "de": "Am Di., 4. März 2025 um 09:00 Uhr schrieb Dana Trainer <reply+abc@in.drip.example>:",
    "pt": "Em ter., 4 de mar. de 2025 às 09:00, Dana Trainer <reply+abc@in.drip.example> escreveu:",
}
# Outlook's header block in each language.
OUTLOOK = {
    "en": ("From", "Sent", "To", "Subject"),
    "es": ("De", "Enviado", "Para", "Asunto"),
    "fr": ("De", "Envoyé", "À", "Objet"),
    "de": ("Von", "Gesendet", "An", "Betreff"),
    "pt": ("De", "Enviado", "Para", "Assunto"),
}
# The phone's signature under the answer.
SIGNATURE = {
    "en": "Sent from my iPhone",
    "es": "Enviado desde mi iPhone",
    "fr": "Envoyé de mon iPhone",
    "de": "Von meinem iPhone gesendet",
    "pt": "Enviado do meu iPhone",
}
LANGUAGES = list(ANSWER)


@pytest.mark.parametrize("language", LANGUAGES)
def test_gmail_s_attribution_in_each_language_leaves_the_answer(language):
    text = f"{ANSWER[language]}\n\n{GMAIL[language]}\n{QUOTED}\n"
    assert visible_reply(text) == ANSWER[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_outlook_s_header_block_in_each_language_leaves_the_answer(language):
    sender, sent, to, subject = OUTLOOK[language]
    block = (
        "________________________________\n"
        f"{sender}: Dana Trainer <reply+abc@in.drip.example>\n"
        f"{sent}: 4/3/2025 9:00\n"
        f"{to}: Ana Souza <ana@example.com>\n"
        f"{subject}: Practice\n\n"
        "Hi Ana, how did practising go?\n"
    )
    assert visible_reply(f"{ANSWER[language]}\n\n{block}") == ANSWER[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_phone_signature_in_each_language_is_removed(language):
    text = f"{ANSWER[language]}\n\n{SIGNATURE[language]}\n\n{GMAIL[language]}\n{QUOTED}\n"
    assert visible_reply(text) == ANSWER[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_answer_written_below_the_quote_is_kept_in_each_language(language):
    text = f"{GMAIL[language]}\n{QUOTED}\n\n{ANSWER[language]}\n"
    assert ANSWER[language].splitlines()[0] in visible_reply(text)
