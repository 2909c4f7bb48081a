"""A learner's language through the API, the CSV import and the admin form; a sequence's language and
its steps' translations through the API and the sequence settings."""

from __future__ import annotations

import io
import re

from drip.extensions import db
from drip.models import Learner, Sequence, Step
from tests.conftest import csrf_token
from tests.web.test_api_support import api, sms_step, stored_sequence, stored_session  # noqa: F401


def _quiz(**overrides) -> dict:
    return sms_step(
        kind="quiz",
        anchor="end",
        offset="P2D",
        body="Which comes first? {{ reply_hint }}",
        choices=["Ask", "Tell"],
        answer=0,
        explain="Asking first makes it a conversation.",
        **overrides,
    )


SPANISH = {
    "es": {
        "body": "¿Qué va primero? {{ reply_hint }}",
        "choices": ["Preguntar", "Decir"],
        "explain": "Preguntar primero abre una conversación.",
    }
}


def test_a_sequence_keeps_its_language_and_its_steps_translations(api):
    created = api.post("/sequences", json={"name": "Recall", "language": "en", "steps": [_quiz(translations=SPANISH)]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["language"] == "en" and body["steps"][0]["translations"] == SPANISH
    assert api.get(f"/sequences/{body['id']}").get_json()["steps"][0]["translations"] == SPANISH
    french = api.post("/sequences", json={"name": "Rappel", "language": "fr", "steps": [sms_step()]}).get_json()
    assert french["language"] == "fr" and french["steps"][0]["translations"] is None


def test_a_bad_translation_is_refused_and_nothing_is_stored(api):
    cases = [
        ({"it": {"body": "Ciao"}}, "steps[0].translations.it"),
        ({"es": {"body": "{{ nope }}"}}, "steps[0].translations.es.body"),
        ({"es": {"body": "Hola", "choices": ["Uno"]}}, "steps[0].translations.es.choices"),
    ]
    for translations, field in cases:
        response = api.post("/sequences", json={"name": "Bad", "steps": [_quiz(translations=translations)]})
        assert response.status_code == 422, (translations, response.get_json())
        assert field in str(response.get_json()["details"]), response.get_json()
    schema = api.post("/sequences", json={"name": "Bad", "steps": [_quiz(translations={"es": {"bodyy": "x"}})]})
    unknown_language = api.post("/sequences", json={"name": "Bad", "language": "it", "steps": [_quiz()]})
    assert schema.status_code == 422 and unknown_language.status_code == 422
    assert db.session.query(Sequence).count() == 0 and db.session.query(Step).count() == 0


def test_enrolment_takes_a_language_per_learner(api):
    session_id = stored_session(api.trainer, sequences=[stored_sequence(api.trainer)]).id
    learners = [
        {"name": "Ana", "phone": "+1 415 555 0101", "language": "es-mx"},
        {"name": "Ben", "phone": "+1 415 555 0102"},
    ]
    assert api.post(f"/sessions/{session_id}/enrollments", json={"learners": learners}).status_code == 201
    stored = {learner.name: learner.language for learner in db.session.scalars(db.select(Learner))}
    assert stored == {"Ana": "es-MX", "Ben": None}
    bad = [{"name": "Cy", "phone": "+1 415 555 0103", "language": "klingon"}]
    refused = api.post(f"/sessions/{session_id}/enrollments", json={"learners": bad})
    assert refused.status_code == 422 and "language" in str(refused.get_json()["details"])
    assert db.session.query(Learner).count() == 2


def test_the_csv_import_reads_a_language_column(logged_in):
    text = "name,phone,language\nAna Lima,+1 201 555 0123,es\nBen Okafor,+1 201 555 0124,\n"
    data = {"csrf_token": csrf_token(logged_in, "/learners/import"), "file": (io.BytesIO(text.encode()), "p.csv")}
    page = logged_in.post("/learners/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    upload_id = re.search(r'action="/learners/import/([^"]+)"', page).group(1)
    logged_in.post(f"/learners/import/{upload_id}", data={"csrf_token": csrf_token(logged_in, "/learners")})
    assert {l.name: l.language for l in db.session.query(Learner)} == {"Ana Lima": "es", "Ben Okafor": None}
    bad = "name,phone,language\nCy,+1 201 555 0125,123\n"
    data = {"csrf_token": csrf_token(logged_in, "/learners/import"), "file": (io.BytesIO(bad.encode()), "p.csv")}
    preview = logged_in.post("/learners/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "not a language tag" in preview


def test_the_admin_form_sets_and_clears_a_learner_s_language(logged_in):
    token = csrf_token(logged_in, "/learners")
    logged_in.post("/learners", data={"csrf_token": token, "name": "Dee", "phone": "+1 201 555 0126", "language": "FR"})
    learner = db.session.query(Learner).one()
    assert learner.language == "fr"
    page = logged_in.get(f"/learners/{learner.id}/edit").get_data(as_text=True)
    assert 'name="language"' in page and 'value="fr"' in page and '<datalist id="languages">' in page
    form = {"csrf_token": token, "name": "Dee", "phone": "+1 201 555 0126", "language": "zz"}
    assert logged_in.post(f"/learners/{learner.id}/edit", data=form).status_code == 422
    db.session.expire_all()
    assert db.session.get(Learner, learner.id).language == "fr"
    logged_in.post(f"/learners/{learner.id}/edit", data={**form, "language": "pt-br"})
    db.session.expire_all()
    assert db.session.get(Learner, learner.id).language == "pt-BR"
    assert "pt-BR" in logged_in.get(f"/learners/{learner.id}").get_data(as_text=True)


def test_the_sequence_settings_change_its_language(logged_in, trainer):
    sequence = stored_sequence(trainer)
    token = csrf_token(logged_in, f"/sequences/{sequence.id}")
    form = {"csrf_token": token, "name": sequence.name, "language": "es", "digest_by": "colleague"}
    logged_in.post(f"/sequences/{sequence.id}", data=form)
    db.session.expire_all()
    assert db.session.get(Sequence, sequence.id).language == "es"
    logged_in.post(f"/sequences/{sequence.id}", data={**form, "language": "it"})
    db.session.expire_all()
    assert db.session.get(Sequence, sequence.id).language == "es"


def test_the_session_page_counts_learners_per_language_and_warns_of_missing_translations(logged_in, trainer):
    from drip.services.programs.enrolment import enrol
    from drip.services.programs.sequences import StepInput, create_sequence

    sequence = create_sequence(
        trainer,
        name="Mixed",
        send_window=None,
        steps=[
            StepInput("reminder", "sms", "start", "-P1D", "Hi", translations={"es": {"body": "Hola"}}),
            StepInput("info", "sms", "start", "-P2D", "See you", label="Welcome"),
        ],
    )
    ts = stored_session(trainer, sequences=[sequence])
    people = [
        Learner(trainer_id=trainer.id, name=name, phone=phone, language=language)
        for name, phone, language in [
            ("Ana", "+14155550121", "es"),
            ("Bea", "+14155550122", "es-MX"),
            ("Cy", "+14155550123", None),
            ("Dee", "+14155550124", "fr"),
            ("Eli", "+14155550125", "it"),
        ]
    ]
    db.session.add_all(people)
    db.session.commit()
    enrol(ts, people)
    page = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    assert 'data-testid="session-languages"' in page
    assert "Español · 2" in page and "English · 2" in page and "Français · 1" in page
    assert "Drip does not write it (1)" in page
    warning = page[page.index('data-testid="missing-translations"') :]
    assert "Welcome</a>: no es, fr (3 learners)" in warning
    assert ": no fr (1 learner)" in warning  # the reminder has Spanish, not French


def test_the_starter_sequence_ships_spanish_and_french(api):
    from drip.services.programs.starter import add_starter

    starter, _ = add_starter(api.trainer)
    assert all(set(step.translations) == {"es", "fr"} for step in starter.steps)
    poll = next(step for step in starter.steps if step.kind == "poll")
    assert len(poll.translations["es"]["choices"]) == len(poll.choices)
    body = api.get("/sequences/starter").get_json()
    assert all(set(step["translations"]) == {"es", "fr"} for step in body["steps"])
    posted = api.post("/sequences", json={**body, "name": "Mine"})  # the starter posts back as it is
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["steps"][0]["translations"]["fr"]["body"].startswith("Bonjour {{ first_name }}")


def test_the_cohort_page_speaks_the_learner_s_language(app, client, trainer):
    from tests.web.test_cohort_page import _cohort, _form_token, _token

    ts, step, (ada, ben, cy) = _cohort(trainer)
    step.translations = {"es": {"body": "Hola {{ name }}: ¿qué salió bien? ({{ trainer.name }})"}}
    ada.language = "es-MX"
    db.session.commit()
    token = _token(ts, ada)
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Hola Ada, esta es la página de tu grupo." in html and "Preguntas de tu formador" in html
    assert "Hola Ada: ¿qué salió bien? (Tess)" in html  # the prompt as she got it, in Spanish
    assert "Questions from your trainer" not in html and "Your answer" not in html
    assert "un compañero" in html  # Ben's approved answer, attributed in her words
    refused = client.post(f"/c/{token}/answers/{step.id}", data={"form_token": _form_token(html), "body": "  "})
    refused_page = refused.get_data(as_text=True)
    assert (
        refused.status_code == 422
        and "Escribe algo primero." in refused_page
        and "Preguntas de tu formador" in refused_page
    )
    english = client.get(f"/c/{_token(ts, ben)}").get_data(as_text=True)
    assert '<html lang="en">' in english and "Hi Ben, this is your group" in english
    assert "Hi Ben: what went well? (Tess)" in english
    dead = client.get("/c/not-a-real-token").get_data(as_text=True)
    assert "This link does not work" in dead


def test_the_unsubscribe_page_speaks_the_learner_s_language(client, trainer):
    learner = Learner(trainer_id=trainer.id, name="Chloé", email="chloe@example.com", language="fr")
    db.session.add(learner)
    db.session.commit()
    page = client.get(f"/u/{learner.unsubscribe_token}").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Vous désinscrire des e-mails de formation de" in page
    client.post(f"/u/{learner.unsubscribe_token}")
    done = client.get(f"/u/{learner.unsubscribe_token}?done=unsubscribed").get_data(as_text=True)
    assert "Vous êtes désinscrit." in done and "a été désinscrite le" in done
    one_click = client.post(f"/u/{learner.unsubscribe_token}/one-click")
    assert one_click.get_data(as_text=True) == "Vous êtes désinscrit.\n"
