"""A room refresh answered from memory: an unchanged room is a 304 without a query; changes show within the bounds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from drip.extensions import db
from drip.models import Enrollment, Learner, LiveQuestion, QuestionVote, utcnow
from drip.services.cohort import refresh, room_rows
from drip.services.cohort.links import reissue
from drip.services.learners.rights import erase_learner
from tests.support.statements import Statements
from tests.web.test_cohort_page import _cohort, _token
from tests.web.test_cohort_readers import _vote


def _frozen(app) -> list[float]:
    """The refreshes' reads and the room's rows on a clock only the test moves; returns the clock."""
    now = [1000.0]
    app.extensions[refresh.KEY] = refresh.Refreshes(clock=lambda: now[0])
    app.extensions[room_rows.KEY] = room_rows.RoomRows(clock=lambda: now[0])
    return now


def _live(trainer, *, approved=True):
    ts, _, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How do I start?", approved=approved)
    db.session.add(question)
    db.session.commit()
    return ts, question, (ada, ben, cy)


def _elsewhere(statement) -> None:
    """A change as another process makes it: a plain statement, nothing this process's session sees change."""
    db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.commit()


def test_a_refresh_with_the_current_etag_is_a_304_without_a_database_statement(app, client, trainer):
    ts, question, (ada, ben, _) = _live(trainer)
    now = _frozen(app)
    room, peers_room = (f"/c/{_token(ts, learner)}/room.json" for learner in (ada, ben))
    first = client.get(room)
    assert first.status_code == 200 and first.get_json()["questions"][0]["id"] == question.id
    etag = first.headers["ETag"]
    assert client.get(peers_room).headers["ETag"] == etag  # the same room and the same (no) votes: the same ETag
    now[0] += room_rows.MAX_AGE / 2  # another refresh within the reads' age: from memory
    with Statements() as seen:
        again = client.get(room, headers={"If-None-Match": etag})
        peer = client.get(peers_room, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert "no-store" in again.headers["Cache-Control"] and again.headers["X-Robots-Tag"].startswith("noindex")
    assert peer.status_code == 304
    assert seen.seen == []
    now[0] += refresh.MAX_AGE  # once a second the session's links and votes are read again, the ETag stays
    assert client.get(room, headers={"If-None-Match": etag}).status_code == 304
    with Statements() as seen:
        assert client.get("/c/" + "y" * 32 + "/room.json").status_code == 404  # a guess: one lookup, then 404
    assert seen.count == 1


def test_the_learners_own_vote_changes_their_next_refresh_even_when_no_count_moved(app, client, trainer):
    ts, question, (ada, ben, _) = _live(trainer)
    _frozen(app)
    assert _vote(client, _token(ts, ben), question.id) == {"voted": True, "votes": 1}
    room = f"/c/{_token(ts, ada)}/room.json"
    before = client.get(room)
    assert before.get_json()["questions"][0] | {"body": ""} == {
        "id": question.id,
        "body": "",
        "votes": 1,
        "voted": False,
    }
    # Ben takes his vote back through another process, and Ada votes here: the count is 1 again.
    _elsewhere(delete(QuestionVote).where(QuestionVote.learner_id == ben.id))
    _elsewhere(update(LiveQuestion).where(LiveQuestion.id == question.id).values(votes=0))
    assert _vote(client, _token(ts, ada), question.id) == {"voted": True, "votes": 1}
    mine = client.get(room, headers={"If-None-Match": before.headers["ETag"]})
    assert mine.status_code == 200 and mine.get_json()["questions"][0]["voted"] is True
    assert mine.get_json()["questions"][0]["votes"] == 1
    assert client.get(room, headers={"If-None-Match": mine.headers["ETag"]}).status_code == 304
    assert _vote(client, _token(ts, ada), question.id) == {"voted": False, "votes": 0}  # taken back: at once too
    back = client.get(room, headers={"If-None-Match": mine.headers["ETag"]})
    assert back.status_code == 200 and back.get_json()["questions"][0]["voted"] is False


def test_an_approval_and_a_vote_made_elsewhere_show_within_their_bounds(app, client, trainer):
    ts, question, (ada, _, _) = _live(trainer, approved=False)
    now = _frozen(app)
    room = f"/c/{_token(ts, ada)}/room.json"
    first = client.get(room)
    assert first.get_json()["questions"] == []
    _elsewhere(update(LiveQuestion).where(LiveQuestion.id == question.id).values(approved=True))
    now[0] += room_rows.MAX_AGE / 2
    assert client.get(room, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    now[0] += room_rows.MAX_AGE / 2
    approved = client.get(room, headers={"If-None-Match": first.headers["ETag"]})
    assert approved.status_code == 200 and [q["id"] for q in approved.get_json()["questions"]] == [question.id]
    # Ada's vote through the other web process (the count left alone, as if another learner took theirs back)
    _elsewhere(insert(QuestionVote).values(question_id=question.id, learner_id=ada.id, created_at=utcnow()))
    now[0] += refresh.MAX_AGE / 4  # the votes were read with the first refresh, 0.75 s ago
    assert client.get(room, headers={"If-None-Match": approved.headers["ETag"]}).status_code == 304
    now[0] += refresh.MAX_AGE / 4
    voted = client.get(room, headers={"If-None-Match": approved.headers["ETag"]})
    assert voted.status_code == 200 and voted.get_json()["questions"][0]["voted"] is True


def test_an_erased_learners_token_is_refused_within_a_second_and_at_once_when_erased_here(app, client, trainer):
    ts, _, (ada, ben, cy) = _live(trainer)
    now = _frozen(app)
    rooms = {learner.id: f"/c/{_token(ts, learner)}/room.json" for learner in (ada, ben, cy)}
    etags = {learner_id: client.get(room).headers["ETag"] for learner_id, room in rooms.items()}
    _elsewhere(update(Learner).where(Learner.id == ada.id).values(erased_at=utcnow()))  # another process
    _elsewhere(update(Enrollment).where(Enrollment.learner_id == ben.id).values(unenrolled_at=utcnow()))
    now[0] += refresh.MAX_AGE / 2
    assert client.get(rooms[ada.id], headers={"If-None-Match": etags[ada.id]}).status_code == 304  # within the bound
    now[0] += refresh.MAX_AGE / 2
    for learner in (ada, ben):
        refused = client.get(rooms[learner.id], headers={"If-None-Match": etags[learner.id]})
        assert refused.status_code == 404 and refused.headers["X-Robots-Tag"].startswith("noindex")
    assert client.get(rooms[cy.id], headers={"If-None-Match": etags[cy.id]}).status_code == 304
    erase_learner(db.session.get(Learner, cy.id), via="test")  # erased in this process: refused at once
    assert client.get(rooms[cy.id], headers={"If-None-Match": etags[cy.id]}).status_code == 404


def test_a_reissued_link_and_an_expired_one_stop_at_once(app, client, trainer):
    ts, _, (ada, ben, _) = _live(trainer)
    _frozen(app)
    old = _token(ts, ada)
    assert client.get(f"/c/{old}/room.json").status_code == 200
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.cohort_token == old))
    new = reissue(enrollment)
    assert client.get(f"/c/{old}/room.json").status_code == 404
    assert client.get(f"/c/{new}/room.json").status_code == 200
    room = f"/c/{_token(ts, ben)}/room.json"
    ts.starts_at, ts.ends_at, ts.cohort_days_after = utcnow() - timedelta(days=3), utcnow() - timedelta(days=2), 1
    db.session.commit()
    assert client.get(room).status_code == 404


def test_a_refresh_from_memory_is_answered_before_flask_exactly_as_the_view_answers_it(app, client, trainer):
    ts, question, (ada, _, _) = _live(trainer)
    now = _frozen(app)
    views = []
    view = app.view_functions["cohort.room_state"]
    app.view_functions["cohort.room_state"] = lambda token: views.append(token) or view(token)
    room = f"/c/{_token(ts, ada)}/room.json"

    def answered(**headers):
        response = client.get(room, headers=headers)
        # Vary: Cookie is Flask's note that the login wall looked at the browser session; on a no-store
        # answer, which no cache keeps, it says nothing.
        kept = sorted(item for item in response.headers.items() if item[0] != "Vary")
        return response.status_code, response.get_data(), kept

    by_view = answered()  # the session's links and room are read first: the view does it
    assert views == [_token(ts, ada)]
    by_memory = answered()
    assert views == [_token(ts, ada)] and by_memory == by_view  # the same status, body and headers
    etag = client.get(room).headers["ETag"]
    unchanged_from_memory = answered(**{"If-None-Match": etag})
    now[0] += refresh.MAX_AGE  # the reads are old: the view reads again
    assert answered(**{"If-None-Match": etag}) == unchanged_from_memory and len(views) == 2
    assert unchanged_from_memory[0] == 304 and unchanged_from_memory[1] == b""
    assert client.head(room).status_code == 200 and client.head(room).get_data() == b""
    assert client.post(room).status_code == 405  # only a GET or HEAD is a refresh
