"""Routing v2 end to end: signed webhooks in, API poll results and the board out (DESIGN.md, "Reply routing")."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from drip.extensions import redis_store
from drip.models import Step, TrainingSession, utcnow
from drip.services.board import board
from tests.support.inbound_factory import sms_step, enrol, make_learner, post_sms, sent_delivery, session_with_steps
from tests.web.test_api_support import api  # noqa: F401  (fixture)

ADA, BO = "+14155550101", "+14155550102"
CHOICES = ["Techniques", "Tricky situations", "Theory"]


def session_with_polls(trainer, *, starts_in: timedelta) -> tuple[TrainingSession, Step, Step]:
    """A session (an hour long) whose sequence has an interest poll and a poll asked during the session."""
    interest = sms_step("poll", "-P7D", "What do you want? 1, 2 or 3", choices=CHOICES)
    live = sms_step("poll", "PT20M", "Which will you try first?", choices=["Ask", "Listen"])
    ts = session_with_steps(trainer, [interest, live], starts_at=utcnow() + starts_in, title="Feedback")
    return ts, interest, live


def poll_votes(api, ts) -> dict[int, list[int]]:
    body = api.get(f"/sessions/{ts.id}/poll-results").get_json()
    return {poll["step_id"]: [choice["votes"] for choice in poll["choices"]] for poll in body["polls"]}


def question_bodies(api, ts) -> list[str]:
    return [item["body"] for item in api.get(f"/sessions/{ts.id}/questions").get_json()["items"]]


def test_a_vote_7_minutes_before_the_start_is_a_vote_and_a_question_still_reaches_the_board(app, client, trainer, api):
    ts, interest, _ = session_with_polls(trainer, starts_in=timedelta(minutes=7))
    ada, bo = make_learner(trainer, "Ada", phone=ADA), make_learner(trainer, "Bo", phone=BO)
    enrol(ts, ada, bo)
    for learner in (ada, bo):
        sent_delivery(ts, learner, interest, sent_at=utcnow() - timedelta(minutes=3))
    assert post_sms(client, app, "2", sender=ADA).status_code == 200
    assert post_sms(client, app, "How do I open a hard conversation?", sender=BO).status_code == 200
    assert poll_votes(api, ts)[interest.id] == [0, 1, 0]
    assert question_bodies(api, ts) == ["How do I open a hard conversation?"]


def test_a_vote_on_a_poll_sent_during_the_session_reaches_the_board_within_a_second(app, client, trainer, api):
    ts, interest, live = session_with_polls(trainer, starts_in=-timedelta(minutes=25))
    ada, bo = make_learner(trainer, "Ada", phone=ADA), make_learner(trainer, "Bo", phone=BO)
    enrol(ts, ada, bo)
    for learner in (ada, bo):
        sent_delivery(ts, learner, interest, sent_at=utcnow() - timedelta(days=7))
        sent_delivery(ts, learner, live, sent_at=utcnow() - timedelta(minutes=5))
    listener = redis_store.connection.pubsub()
    listener.subscribe(board.channel_name(ts.id))
    listener.get_message(timeout=2)
    try:
        posted = time.thread_time()  # the request runs in this thread: its CPU, not a loaded machine's queue
        assert post_sms(client, app, "b", sender=ADA).status_code == 200
        event = json.loads(listener.get_message(timeout=1)["data"])  # published before the answer: waiting now
        assert time.thread_time() - posted < 1
        assert post_sms(client, app, "Listen to whom, exactly?", sender=BO).status_code == 200
    finally:
        listener.close()
    assert event["type"] == "poll" and event["poll"]["step_id"] == live.id
    assert [c["votes"] for c in event["poll"]["choices"]] == [0, 1] and event["poll"]["asked"] == 2
    assert event["poll"]["choices"][1]["percent"] == 100
    assert poll_votes(api, ts) == {interest.id: [0, 0, 0], live.id: [0, 1]}
    assert question_bodies(api, ts) == ["Listen to whom, exactly?"]
    # Ada already voted: her next "2" is a question for the board, not a second vote.
    assert post_sms(client, app, "2", sender=ADA).status_code == 200
    assert question_bodies(api, ts) == ["Listen to whom, exactly?", "2"]


def test_quick_votes_publish_the_first_chart_at_once_and_one_newer_chart_counting_them_all(app, client, trainer):
    # Issue 28 changed this: a chart per vote became at most one a poll every 250 ms (redraws.WINDOW_MS).
    ts, _, live = session_with_polls(trainer, starts_in=-timedelta(minutes=25))
    learners = [make_learner(trainer, f"L{n}", phone=f"+1415555020{n}") for n in range(3)]
    enrol(ts, *learners)
    for learner in learners:
        sent_delivery(ts, learner, live, sent_at=utcnow() - timedelta(minutes=2))
    listener = redis_store.connection.pubsub()
    listener.subscribe(board.channel_name(ts.id))
    listener.get_message(timeout=2)
    try:
        for learner in learners:
            assert post_sms(client, app, "2", sender=learner.phone).status_code == 200
        charts = []
        while (message := listener.get_message(timeout=1.0)) is not None:  # until the board is quiet a second
            charts.append(json.loads(message["data"])["poll"])
    finally:
        listener.close()
    # However slow the machine: the first vote drew at once, the last chart counts all three, and
    # there is never more than one chart a window (here at most one per vote).
    assert charts[0]["voters"] == 1 and charts[-1]["voters"] == 3 and 2 <= len(charts) <= 3
    versions = [chart["version"] for chart in charts]
    assert versions == sorted(set(versions))
