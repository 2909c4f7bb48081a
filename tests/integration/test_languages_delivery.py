"""Issue #26's acceptance: each learner reads a step in their language, with Drip's own words in it too.

Lucía (es) gets the Spanish translation with `session.starts_in` in Spanish while Ben (no language,
an English sequence) gets English in the same session; her quiz comes with Spanish choices and hint,
"A" gets the Spanish explanation, PARAR stops her texts and AYUDA answers like HELP. Chloé (fr) has
no French translation: she gets the step's own text with Drip's words in French.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip.models import Learner, OutboxMessage
from drip.services.programs.enrolment import enrol
from tests.support.inbound_factory import post_sms
from tests.support.quiz_support import rows, send_due, session_with, texts_to
from drip.services.programs.sequences import StepInput

REMINDER = StepInput(
    "reminder",
    "sms",
    "start",
    "-P6D",
    "Hi {{ first_name }}, {{ session.title }} starts {{ session.starts_in }}.",
    translations={"es": {"body": "Hola {{ first_name }}, {{ session.title }} empieza {{ session.starts_in }}."}},
)
QUIZ = StepInput(
    "quiz",
    "sms",
    "start",
    "-P5D",
    "What comes first?\n{{ reply_hint }}",
    choices=["Ask", "Tell"],
    answer=0,
    explain="Asking opens a conversation.",
    retry_after="P1D",
    translations={
        "es": {
            "body": "¿Qué va primero?\n{{ reply_hint }}",
            "choices": ["Preguntar", "Decir"],
            "explain": "Preguntar abre una conversación.",
        }
    },
)
EMAIL = StepInput(
    "discussion",
    "email",
    "start",
    "-P4D",
    "What do you hope to change? {{ reply_hint }}",
    subject="Before we meet",
    translations={"es": {"body": "¿Qué esperas cambiar? {{ reply_hint }}", "subject": "Antes de vernos"}},
)


def _learners(trainer) -> tuple[Learner, Learner, Learner]:
    people = [
        Learner(
            trainer_id=trainer.id, name="Lucía Pérez", phone="+14155550111", email="lucia@example.com", language="es"
        ),
        Learner(trainer_id=trainer.id, name="Ben Okafor", phone="+14155550112", email="ben@example.com"),
        Learner(
            trainer_id=trainer.id,
            name="Chloé Martin",
            phone="+14155550113",
            email="chloe@example.com",
            language="fr-CA",
        ),
    ]
    db.session.add_all(people)
    db.session.commit()
    return tuple(people)


def test_each_learner_reads_the_step_and_drip_s_words_in_their_language(app, client, trainer):
    ts = session_with(trainer, [REMINDER, QUIZ, EMAIL], starts_in=timedelta(days=10))
    lucia, ben, chloe = _learners(trainer)
    enrol(ts, [lucia, ben, chloe])
    reminder, quiz, discussion = (d for d in rows(lucia, "step"))

    send_due(reminder.due_at)
    assert texts_to(lucia.phone) == ["Hola Lucía, Feedback that lands empieza dentro de 10 días."]
    assert texts_to(ben.phone) == ["Hi Ben, Feedback that lands starts in 10 days."]
    assert texts_to(chloe.phone) == ["Hi Chloé, Feedback that lands starts dans 10 jours."]  # own text, Drip's French

    send_due(quiz.due_at)
    assert texts_to(lucia.phone)[-1] == "¿Qué va primero?\nA) Preguntar\nB) Decir\nResponde A o B."
    assert texts_to(ben.phone)[-1] == "What comes first?\nA) Ask\nB) Tell\nReply A or B."
    assert texts_to(chloe.phone)[-1] == "What comes first?\nA) Ask\nB) Tell\nRépondez A ou B."
    post_sms(client, app, "A", sender=lucia.phone)  # routed by a worker: the verdict goes by the SMS API
    assert texts_to(lucia.phone)[-1] == "¡Correcto! Preguntar abre una conversación."
    post_sms(client, app, "Tell", sender=chloe.phone)
    assert texts_to(chloe.phone)[-1] == "Pas tout à fait : Asking opens a conversation."

    send_due(discussion.due_at)
    emails = {
        row.to_address: row for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    }
    spanish, english = emails["lucia@example.com"], emails["ben@example.com"]
    assert spanish.subject == "Antes de vernos" and "Responde para compartir tu opinión." in spanish.body
    assert "Para dejar de recibir estos correos, date de baja:" in spanish.body and 'lang="es"' in spanish.html
    assert "To stop these emails" not in spanish.body
    assert english.subject == "Before we meet" and "To stop these emails, unsubscribe:" in english.body


def test_parar_stops_her_texts_and_ayuda_answers_like_help_in_spanish(app, client, trainer):
    trainer.contact_line = "Preguntas: Tess, 020 7946 0000."
    db.session.commit()
    ts = session_with(trainer, [REMINDER, QUIZ], starts_in=timedelta(days=10))
    lucia, ben, _ = _learners(trainer)
    enrol(ts, [lucia, ben])
    reminder, quiz = rows(lucia, "step")

    helped = post_sms(client, app, "AYUDA", sender=lucia.phone).get_data(as_text=True)
    assert "Preguntas: Tess, 020 7946 0000. Responde PARAR para darte de baja" in helped
    stopped = post_sms(client, app, "PARAR", sender=lucia.phone).get_data(as_text=True)
    assert "Ya no recibirás más SMS de este número." in stopped
    db.session.expire_all()
    assert db.session.get(Learner, lucia.id).sms_opted_out_at is not None
    send_due(reminder.due_at)
    send_due(quiz.due_at)
    assert texts_to(lucia.phone) == []  # nothing after PARAR, as after STOP
    assert len(texts_to(ben.phone)) == 2
    assert [d.status for d in rows(lucia, "step")] == ["skipped", "skipped"]
