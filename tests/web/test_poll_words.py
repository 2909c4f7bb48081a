"""An open poll's words are counted as answers are filed: the cloud is one query and equals the raw answers' count."""

from __future__ import annotations

from sqlalchemy import event

from drip.domain import word_cloud
from drip.extensions import db
from drip.models import OpenPollWord, Reply
from drip.services.board import open_polls, poll_words
from drip.services.learners.rights import erase_learner
from drip.services.replies.refile import refile_reply
from tests.support.inbound_factory import post_sms
from tests.support.webhook_drain import drain
from tests.web.test_cohort_page import _form_token, _token
from tests.web.test_open_polls import ANSWERS, _polling


def _raw(ts, poll) -> list[dict]:
    """The cloud counted from every answer's text, as the projector counted it before."""
    return word_cloud.cloud(open_polls.answers(ts.id, poll.id, limit=None), open_polls.language_of(poll))


def _statements(run) -> tuple[object, int]:
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        return run(), len(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_the_kept_counts_equal_the_answers_through_texts_the_page_refiling_and_erasure(app, client, logged_in, trainer):
    ts, poll, learners = _polling(trainer, logged_in)
    for learner, text in zip(learners, ANSWERS):  # stored, then filed together by one worker's batch
        assert post_sms(client, app, text, sender=learner.phone, apply=False).status_code == 200
    assert drain() == len(ANSWERS)
    assert post_sms(client, app, "Practice again, and more role plays", sender=learners[0].phone).status_code == 200
    page = client.get(f"/c/{_token(ts, learners[6])}").get_data(as_text=True)
    posted = client.post(
        f"/c/{_token(ts, learners[6])}/poll", data={"body": "Zanzibar feedback", "form_token": _form_token(page)}
    )
    assert posted.status_code == 303
    session_id, step_id = ts.id, poll.id
    db.session.expire_all()

    counted, statements = _statements(lambda: poll_words.counted(session_id, step_id))
    assert statements == 1  # one query, however many answers
    assert counted == _raw(ts, poll)
    by_word = {w["word"]: w["count"] for w in counted}
    assert by_word["practice"] == 4 and by_word["role"] == 2 and by_word["zanzibar"] == 1  # once per learner
    chart = logged_in.get(f"/sessions/{ts.id}/board/questions?view=projector").get_json()["polls"][0]
    assert chart["words"] == counted and chart["voters"] == 7

    # Re-filed away from the poll, an answer's words go; Learner0's other answer still says "practice".
    first, again = db.session.query(Reply).filter_by(learner_id=learners[0].id, step_id=poll.id).order_by(Reply.id)
    refile_reply(first, "unclassified", by=trainer)
    assert poll_words.counted(ts.id, poll.id) == _raw(ts, poll)
    assert {w["word"]: w["count"] for w in poll_words.counted(ts.id, poll.id)}["practice"] == 4
    refile_reply(again, "unclassified", by=trainer)
    assert poll_words.counted(ts.id, poll.id) == _raw(ts, poll)
    assert {w["word"]: w["count"] for w in poll_words.counted(ts.id, poll.id)}["practice"] == 3
    by_word = {w["word"]: w["count"] for w in poll_words.counted(ts.id, poll.id)}

    # Erased, the learner's words leave the cloud with the text of their answers.
    erase_learner(db.session.get(type(learners[6]), learners[6].id), via="api")
    after = {w["word"]: w["count"] for w in poll_words.counted(ts.id, poll.id)}
    assert "zanzibar" not in after and after["feedback"] == by_word["feedback"] - 1
    assert poll_words.counted(ts.id, poll.id) == _raw(ts, poll)
    assert db.session.query(OpenPollWord).filter_by(learner_id=learners[6].id).count() == 0
