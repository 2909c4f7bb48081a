"""The cohort page's public part is one snapshot for all its readers; each learner's own part is theirs alone."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from drip.extensions import db
from drip.models import LiveQuestion, MediaItem, Reply, utcnow
from drip.services.cohort import shared
from drip.services.cohort.recent import Recent
from drip.services.cohort.shared import MAX_AGE
from tests.support.inbound_factory import make_reply
from tests.web.test_api_support import api_for
from tests.web.test_cohort_page import _cohort, _form_token, _token
from tests.web.test_reply_pictures import _message_with_pictures


def _frozen(app) -> list[float]:
    """This app's snapshots on a clock that moves only when the test moves it; returns the clock."""
    now = [1000.0]
    app.extensions[shared.KEY] = Recent(MAX_AGE, clock=lambda: now[0])
    return now


def _page(client, ts, learner) -> str:
    return client.get(f"/c/{_token(ts, learner)}").get_data(as_text=True)


def _post(client, ts, learner, step, body: str) -> None:
    token = _token(ts, learner)
    form = _form_token(_page(client, ts, learner))
    assert client.post(f"/c/{token}/answers/{step.id}", data={"body": body, "form_token": form}).status_code == 303


def test_a_post_is_on_its_authors_page_at_once_and_on_peers_pages_only_once_approved(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    now = _frozen(app)  # no snapshot ages: only what this process commits can change what the pages show
    assert "Ben&#39;s approved" in _page(client, ts, cy)  # Cy's page made the snapshot the others get
    _post(client, ts, ada, step, "Naming the behaviour")
    own = _page(client, ts, ada)
    assert "Naming the behaviour" in own and "Waiting for the trainer" in own
    now[0] += 10 * MAX_AGE  # however old the snapshot, an unapproved answer is in no one else's
    for peer in (ben, cy):
        assert "Naming the behaviour" not in _page(client, ts, peer)
    reply = db.session.scalar(select(Reply).where(Reply.body == "Naming the behaviour"))
    assert api_for(client, trainer).patch(f"/replies/{reply.id}", json={"shared": True}).status_code == 200
    for peer in (ben, cy):  # approved in this process: the snapshot is dropped, no wait
        assert "Naming the behaviour" in _page(client, ts, peer)
    own = _page(client, ts, ada)
    assert "Naming the behaviour" in own and "Waiting for the trainer" not in own


def test_an_approval_made_in_another_process_reaches_the_pages_within_max_age(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    now = _frozen(app)
    assert "Cy&#39;s unapproved" not in _page(client, ts, ada)
    # As another web process or a worker would: a plain UPDATE, nothing this process's session saw change.
    db.session.execute(update(Reply).where(Reply.learner_id == cy.id).values(shared=True))
    db.session.commit()
    now[0] += MAX_AGE / 2
    assert "Cy&#39;s unapproved" not in _page(client, ts, ada)  # the snapshot is still young
    now[0] += MAX_AGE / 2
    assert "Cy&#39;s unapproved answer" in _page(client, ts, ada)  # read afresh once MAX_AGE old
    db.session.execute(update(Reply).where(Reply.learner_id == cy.id).values(shared=False))  # and taken back
    db.session.commit()
    now[0] += MAX_AGE
    assert "Cy&#39;s unapproved" not in _page(client, ts, ada)
    assert "Cy&#39;s unapproved answer" in _page(client, ts, cy)  # the author's own, whatever the snapshot


def test_every_reader_gets_one_snapshot_with_their_own_answers_apart(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    _frozen(app)
    with app.test_request_context():
        first, second = shared.snapshot(ts, "en", utcnow()), shared.snapshot(ts, "en", utcnow())
        assert first is second and shared.snapshot(ts, "fr", utcnow()) is not first  # one per language
        assert [answer.text for answer in first.peers[step.id]] == ["Ben's approved <b>answer</b>"]
    own = _page(client, ts, ben)  # Ben's approved answer is his, not one of "the others'"
    mine, others = own.split("What the others said")
    assert "Ben&#39;s approved" in mine and "Ben&#39;s approved" not in others and "Nothing shared yet." in others


def test_the_rooms_questions_carry_each_readers_own_link_form_token_and_votes(app, client, trainer):
    ts, _, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    questions = [
        LiveQuestion(session_id=ts.id, learner_id=cy.id, body=f"Question <{n}>?", approved=True) for n in range(3)
    ]
    db.session.add_all(questions)
    db.session.commit()
    ada_page = _page(client, ts, ada)
    vote = re.search(rf'action="([^"]+/questions/{questions[1].id}/vote)"', ada_page).group(1)
    headers = {"Accept": "application/json"}
    assert client.post(vote, data={"form_token": _form_token(ada_page)}, headers=headers).get_json()["voted"]
    for learner, other in ((ada, ben), (ben, ada)):
        html = _page(client, ts, learner)
        token, form = _token(ts, learner), _form_token(html)
        assert "Question &lt;1&gt;?" in html and "\x00" not in html
        assert html.count(f'action="/c/{token}/questions/') == 3 and _token(ts, other) not in html
        assert set(re.findall(r'name="form_token" value="([^"]+)"', html)) == {form}
        pressed = dict(re.findall(r'id="question-(\d+)">.*?aria-pressed="(\w+)"', html, re.S))
        expected = "true" if learner is ada else "false"
        assert pressed == {str(q.id): expected if q is questions[1] else "false" for q in questions}


def test_the_pictures_of_an_approved_answer_are_on_peers_pages_and_an_unapproved_ones_only_on_its_authors(
    app, client, trainer
):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    for learner, shared_now in ((ben, True), (cy, False)):
        message = _message_with_pictures(trainer, learner, ts, "")
        reply = make_reply(ts, learner, step, "", shared=shared_now)
        reply.inbound_message_id = message.id
    db.session.commit()
    url = {
        learner: f"/m/{db.session.scalar(select(MediaItem.token).where(MediaItem.learner_id == learner.id))}"
        for learner in (ben, cy)
    }
    ada_page = _page(client, ts, ada)
    assert f'<img class="answer-picture" src="{url[ben]}"' in ada_page and url[cy] not in ada_page
    assert url[cy] in _page(client, ts, cy)  # the author's own, waiting for the trainer


def test_room_json_made_from_shared_pieces_is_json_with_each_readers_own_votes(app, client, trainer):
    ts, _, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    odd = 'He said "hi" </script> \\ ünï 🎉 — mail cy@example.com?'
    questions = [LiveQuestion(session_id=ts.id, learner_id=cy.id, body=body, approved=True) for body in (odd, "Two?")]
    db.session.add_all(questions)
    db.session.commit()
    page = _page(client, ts, ben)
    vote = re.search(rf'action="([^"]+/questions/{questions[1].id}/vote)"', page).group(1)
    client.post(vote, data={"form_token": _form_token(page)}, headers={"Accept": "application/json"})
    for learner in (ada, ben):
        room = client.get(f"/c/{_token(ts, learner)}/room.json")
        assert room.mimetype == "application/json" and room.headers["ETag"]
        assert room.get_json() == {
            "live": True,
            "poll": None,
            "questions": [
                {"id": questions[1].id, "body": "Two?", "votes": 1, "voted": learner is ben},
                {"id": questions[0].id, "body": odd.replace("cy@example.com", "[hidden]"), "votes": 0, "voted": False},
            ],
        }
