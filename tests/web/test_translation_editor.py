"""The step editor's language tabs: a tab per language with the same fields and SMS counter, a marker
where a language is missing, a preview per language with Drip's words in it."""

from __future__ import annotations

from drip.extensions import db
from drip.models import Step
from drip.services.programs.sequences import create_sequence
from tests.conftest import csrf_token
from tests.web.test_quiz_editor import _form


def _sequence(trainer):
    return create_sequence(trainer, name="Recall", send_window=None, steps=[])


def test_the_editor_has_a_tab_per_other_language_each_marked_missing(logged_in, trainer):
    sequence = _sequence(trainer)
    page = logged_in.get(f"/sequences/{sequence.id}/steps/new").get_data(as_text=True)
    for code in ("es", "fr", "de", "pt"):
        assert f'id="tab-{code}"' in page and f'data-missing="{code}"' in page
        assert f'name="tr-{code}-body"' in page
    assert 'id="tab-en"' not in page  # the sequence's own language is the text above
    assert page.count("data-language-preview=") == 4  # a live preview and segment count per language


def test_a_saved_translation_is_stored_previewed_and_shown_again(logged_in, trainer):
    sequence = _sequence(trainer)
    path = f"/sequences/{sequence.id}/steps/new"
    spanish = {
        "tr-es-body": "¿Qué se queda mejor?\n{{ reply_hint }}",
        "tr-es-choices": "Releer\nProbarlo pronto\nEsperar",
        "tr-es-explain": "Usarlo pronto hace que se quede.",
        "tr-es-follow_body": "{{ first_name }}, ¿A, B o C?",
    }
    shown = logged_in.post(path, data=_form(path, logged_in, action="preview", **spanish))
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    previews = page[page.index('data-testid="language-previews"') :]
    assert "A) Releer\nB) Probarlo pronto\nC) Esperar\nResponde A, B o C." in previews
    assert "¡Correcto! Usarlo pronto hace que se quede." in previews and "GSM-7" in previews  # ¿, é, ñ are GSM
    assert db.session.query(Step).count() == 0
    saved = logged_in.post(path, data=_form(path, logged_in, **spanish))
    assert saved.status_code == 302
    step = db.session.query(Step).one()
    assert step.translations == {
        "es": {
            "body": "¿Qué se queda mejor?\n{{ reply_hint }}",
            "choices": ["Releer", "Probarlo pronto", "Esperar"],
            "explain": "Usarlo pronto hace que se quede.",
            "follow_up": {"body": "{{ first_name }}, ¿A, B o C?", "subject": None},
        }
    }
    again = logged_in.get(f"/sequences/{sequence.id}/steps/{step.id}").get_data(as_text=True)
    assert 'data-missing="es"' not in again and 'data-missing="fr"' in again
    assert "Probarlo pronto" in again and 'data-preview-language="es"' in again
    live = logged_in.post(
        f"/sequences/{sequence.id}/steps/preview",
        data=_form(path, logged_in, **spanish),
        headers={"X-CSRFToken": csrf_token(logged_in, path)},
    ).get_json()
    assert live["languages"]["es"]["body"].endswith("Responde A, B o C.")
    assert live["languages"]["es"]["segments"]["encoding"] == "GSM-7" and "languages" in live


def test_a_bad_translation_is_refused_with_its_tab_marked(logged_in, trainer):
    sequence = _sequence(trainer)
    path = f"/sequences/{sequence.id}/steps/new"
    bad = {"tr-fr-body": "Bonjour {{ prenom }}", "tr-fr-choices": "Un\nDeux"}
    response = logged_in.post(path, data=_form(path, logged_in, **bad))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "unknown variable &#39;prenom&#39;" in page or "unknown variable 'prenom'" in page
    assert "give the 3 choices" in page
    assert db.session.query(Step).count() == 0


def test_the_sequence_page_marks_each_step_s_languages(logged_in, trainer):
    from drip.services.programs.sequences import StepInput

    sequence = create_sequence(
        trainer,
        name="Marked",
        send_window=None,
        steps=[StepInput("reminder", "sms", "start", "-P1D", "Hi", translations={"fr": {"body": "Salut"}})],
    )
    page = logged_in.get(f"/sequences/{sequence.id}").get_data(as_text=True)
    marks = page[page.index('data-testid="step-languages"') :].split("</span></span>")[0]
    assert 'title="Français: translated"' in marks and 'title="Español: missing' in marks
