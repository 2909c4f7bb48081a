"""An open poll on the projector: texts and the cohort page answer it; poll-results and the board give its words."""

from __future__ import annotations

from drip.extensions import db
from drip.models import Reply, session_sequences
from tests.conftest import csrf_token
from tests.support.inbound_factory import enrol, make_learner, make_session, make_step, post_sms
from tests.web.test_api_support import api_for
from tests.web.test_cohort_page import _form_token, _token

ANSWERS = [
    "Practice, practice!",
    "More PRACTICE and the role plays",
    "the feedback model",
    "Practice giving feedback",
    "Shit, more examples",
    "time to practice",
]


def _polling(trainer, logged_in):
    ts = make_session(trainer)
    poll = make_step(trainer, "poll", body="In a word or three: what do you want more of?")
    db.session.execute(session_sequences.insert(), [{"session_id": ts.id, "sequence_id": poll.sequence_id}])
    db.session.commit()
    learners = [make_learner(trainer, f"Learner{n} Doe", phone=f"+1415555020{n}") for n in range(7)]
    enrol(ts, *learners)
    token = csrf_token(logged_in, f"/sessions/{ts.id}/board")
    shown = logged_in.post(f"/sessions/{ts.id}/board/projector", json={"poll": poll.id}, headers={"X-CSRFToken": token})
    assert shown.status_code == 200
    return ts, poll, learners


def test_six_texted_answers_become_a_word_cloud(app, client, logged_in, trainer):
    ts, poll, learners = _polling(trainer, logged_in)
    for learner, text in zip(learners, ANSWERS):
        assert post_sms(client, app, text, sender=learner.phone).status_code == 200
    replies = db.session.query(Reply).filter_by(step_id=poll.id, kind="poll_vote").all()
    assert len(replies) == 6 and all(r.choice_index is None for r in replies)
    results = api_for(client, trainer).get(f"/sessions/{ts.id}/poll-results").get_json()["polls"][0]
    assert results["open"] is True and results["votes"] == 6 and len(results["answers"]) == 6
    words = {w["word"]: w["count"] for w in results["words"]}
    assert words["practice"] == 4  # once per learner who wrote it, in any case
    assert words["feedback"] == 2 and "the" not in words and "s***" in words and "shit" not in words
    chart = logged_in.get(f"/sessions/{ts.id}/board/questions?view=projector").get_json()["polls"][0]
    assert chart["open"] is True and chart["words"][0] == {"word": "practice", "count": 4}
    # While the poll is shown, texts are answers, not live questions; back to the questions, they are questions.
    token = csrf_token(logged_in, f"/sessions/{ts.id}/board")
    logged_in.post(f"/sessions/{ts.id}/board/projector", json={"poll": None}, headers={"X-CSRFToken": token})
    post_sms(client, app, "Can we get the slides?", sender=learners[6].phone)
    assert db.session.query(Reply).filter_by(step_id=poll.id).count() == 6


def test_the_cohort_page_offers_the_open_poll_as_a_text_box(app, client, logged_in, trainer):
    ts, poll, learners = _polling(trainer, logged_in)
    token = _token(ts, learners[0])
    page = client.get(f"/c/{token}").get_data(as_text=True)
    assert "what do you want more of?" in page and 'name="body"' in page
    sent = client.post(f"/c/{token}/poll", data={"body": "Practice time", "form_token": _form_token(page)})
    assert sent.status_code == 303 and "done=poll" in sent.headers["Location"]
    reply = db.session.query(Reply).filter_by(step_id=poll.id).one()
    assert reply.kind == "poll_vote" and reply.learner_id == learners[0].id and reply.channel == "web"
    again = client.post(f"/c/{token}/poll", data={"body": "Practice time", "form_token": _form_token(page)})
    assert again.status_code == 303 and db.session.query(Reply).filter_by(step_id=poll.id).count() == 1  # sent twice
    closed = logged_in.post(
        f"/sessions/{ts.id}/board/projector",
        json={"poll": None},
        headers={"X-CSRFToken": csrf_token(logged_in, f"/sessions/{ts.id}/board")},
    )
    assert closed.status_code == 200
    late = client.post(f"/c/{token}/poll", data={"body": "Too late", "form_token": _form_token(page)})
    assert late.status_code == 422 and db.session.query(Reply).filter_by(step_id=poll.id).count() == 1


def test_the_api_gives_every_word_and_answer_the_projector_shows_the_top_ones(app, client, logged_in, trainer):
    ts, poll, learners = _polling(trainer, logged_in)
    many = " ".join(f"word{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(45))  # 45 distinct words
    assert post_sms(client, app, many, sender=learners[0].phone).status_code == 200
    assert post_sms(client, app, "wordaa rehearsal", sender=learners[1].phone).status_code == 200
    results = api_for(client, trainer).get(f"/sessions/{ts.id}/poll-results").get_json()["polls"][0]
    assert len(results["words"]) == 46 and results["words"][0] == {"word": "wordaa", "count": 2}
    assert len(results["answers"]) == 2
    chart = logged_in.get(f"/sessions/{ts.id}/board/questions?view=projector").get_json()["polls"][0]
    assert len(chart["words"]) == 40 and chart["words"][0] == {"word": "wordaa", "count": 2}
