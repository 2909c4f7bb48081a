"""The learners pages: search, add, CSV import with preview (all rows or none), the learner page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, OptOutEvent, Reply, utcnow
from drip.services import accounts
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import LearnerInput, upsert_learners
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session
from tests.conftest import csrf_token, login

GOOD = "name,phone,email,timezone,external_id\nAna Lima,+1 201 555 0123,ana@example.com,America/New_York,A1\nBen Okafor,,ben@example.com,,\n"
ONE_BAD = GOOD + "Cy <script>,555,,,\n"


def _upload(client, text, session_id=None, name="people.csv"):
    data = {"csrf_token": csrf_token(client, "/learners/import"), "file": (io.BytesIO(text.encode()), name)}
    if session_id:
        data["session_id"] = str(session_id)
    return client.post("/learners/import", data=data, content_type="multipart/form-data")


def _upload_id(page: str) -> str:
    return re.search(r'action="/learners/import/([^"]+)"', page).group(1)


def _session(trainer):
    sequence = create_sequence(
        trainer,
        name="S",
        send_window=None,
        steps=[
            StepInput("reminder", "sms", "start", "-P1D", "Hi {{ first_name }}"),
            StepInput("info", "email", "end", "P1D", "Bye {{ first_name }}", subject="Bye"),
        ],
    )
    start = utcnow() + timedelta(days=5)
    return create_session(
        trainer,
        title="Workshop",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone="UTC",
        sequence_ids=[sequence.id],
    )


def test_a_bad_row_shows_its_error_and_nothing_is_stored(logged_in):
    response = _upload(logged_in, ONE_BAD)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in page and 'data-row="4"' in page and "not a valid phone number" in page
    assert "Cy &lt;script&gt;" in page and "<script>," not in page
    assert "/learners/import/" not in re.sub(r'href="[^"]*"', "", page)  # no confirm form to post
    assert db.session.query(Learner).count() == 0


def test_a_good_file_is_previewed_then_imported(logged_in):
    preview = _upload(logged_in, GOOD)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "All 2 rows are valid" in page and "+12015550123" in page
    assert db.session.query(Learner).count() == 0  # the preview stores nothing
    upload_id = _upload_id(page)
    token = csrf_token(logged_in, "/learners")
    done = logged_in.post(
        f"/learners/import/{upload_id}", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert done.status_code == 200 and done.json == {"redirect": "/learners", "created": 2, "updated": 0, "enrolled": 0}
    assert sorted(l.name for l in db.session.query(Learner)) == ["Ana Lima", "Ben Okafor"]
    progress = logged_in.get(f"/learners/import/{upload_id}/progress").json
    assert progress == {"done": 2, "total": 2, "stage": "done"}
    # The upload is used up: confirming twice imports nothing more.
    assert logged_in.post(f"/learners/import/{upload_id}", data={"csrf_token": token}).status_code == 404


def test_import_into_a_session_enrols_everyone(logged_in, trainer):
    ts = _session(trainer)
    page = _upload(logged_in, GOOD, session_id=ts.id).get_data(as_text=True)
    response = logged_in.post(
        f"/learners/import/{_upload_id(page)}",
        data={"csrf_token": csrf_token(logged_in, "/learners")},
        follow_redirects=True,
    )
    assert "Imported 2 learners (2 new, 0 updated); 2 enrolled in Workshop." in response.get_data(as_text=True)
    assert db.session.query(Enrollment).count() == 2 and db.session.query(Delivery).count() == 4
    assert {e.source for e in db.session.query(Enrollment)} == {"csv"}


def test_file_level_problems_are_explained(logged_in):
    for text, message in [
        ("", "The file is empty"),
        ("name,shoe_size\nAna,42\n", "Unknown column"),
        ("Ana,ana@example.com\n", "must be a header"),
    ]:
        response = _upload(logged_in, text)
        assert response.status_code == 422 and message in response.get_data(as_text=True), text
    missing = logged_in.post(
        "/learners/import", data={"csrf_token": csrf_token(logged_in, "/learners/import")}, follow_redirects=True
    )
    assert "Choose a CSV file" in missing.get_data(as_text=True)
    binary = _upload(logged_in, "\x00\x01\x02 garbage ÿþ")
    assert binary.status_code == 422 and db.session.query(Learner).count() == 0


def test_progress_and_uploads_belong_to_their_trainer(client, trainer):
    accounts.create_trainer("other@example.com", "another long password", "Otto")
    login(client, "other@example.com", "another long password")
    upload_id = _upload_id(_upload(client, GOOD).get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/learners")})
    login(client)
    token = csrf_token(client, "/learners")
    assert client.post(f"/learners/import/{upload_id}", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/learners/import/{upload_id}/progress").status_code == 404
    assert db.session.query(Learner).count() == 0


def test_add_search_and_refuse(logged_in, trainer):
    token = csrf_token(logged_in, "/learners")
    added = logged_in.post("/learners", data={"csrf_token": token, "name": "Dee Diaz", "email": "DEE@example.com"})
    dee = db.session.query(Learner).one()
    assert added.location.endswith(f"/learners/{dee.id}") and dee.email == "dee@example.com"
    refused = logged_in.post(
        "/learners", data={"csrf_token": token, "name": "", "email": "nope"}, follow_redirects=True
    )
    text = refused.get_data(as_text=True)
    assert "name a name is required" in text and "not a valid email" in text
    upsert_learners(trainer, [LearnerInput("Eve 100%_x", "+12015550188")])
    db.session.commit()
    assert "Dee Diaz" in logged_in.get("/learners?q=dee").get_data(as_text=True)
    found = logged_in.get("/learners?q=100%25_").get_data(as_text=True)
    assert "Eve 100%_x" in found and "Dee Diaz" not in found
    assert "No learner matches" in logged_in.get("/learners?q=zzz").get_data(as_text=True)
    assert "Eve" in logged_in.get("/learners?q=555").get_data(as_text=True)


def test_learner_page_shows_the_whole_timeline(logged_in, trainer):
    ts = _session(trainer)
    [(ana, _)] = upsert_learners(trainer, [LearnerInput("Ana <i>Lima</i>", "+12015550123", "ana@example.com")])
    enrol(ts, [ana])
    first = db.session.query(Delivery).order_by(Delivery.due_at).first()
    first.status, first.sent_at = "failed", utcnow()
    first.error_message = "Unreachable handset"
    ana.sms_opted_out_at = utcnow()
    db.session.add(
        OptOutEvent(learner_id=ana.id, channel="sms", address=ana.phone, action="opt_out", source="sms_keyword")
    )
    db.session.add(
        Reply(
            trainer_id=trainer.id,
            session_id=ts.id,
            learner_id=ana.id,
            kind="practice_report",
            channel="sms",
            body="I tried <b>it</b>",
        )
    )
    db.session.commit()
    page = logged_in.get(f"/learners/{ana.id}").get_data(as_text=True)
    assert "Ana &lt;i&gt;Lima&lt;/i&gt;" in page and "Workshop" in page and "Unreachable handset" in page
    assert "opted out" in page and "replied STOP" in page
    assert "practice report" in page and "I tried &lt;b&gt;it&lt;/b&gt;" in page
    assert page.count('class="badge text-bg-') >= 3


def test_another_trainers_learner_and_session_are_404(client, trainer):
    other = accounts.create_trainer("other@example.com", "another long password", "Otto")
    [(theirs, _)] = upsert_learners(other, [LearnerInput("Theirs", "+12015550123")])
    their_session = _session(other)
    db.session.commit()
    login(client)
    assert client.get(f"/learners/{theirs.id}").status_code == 404
    assert client.get(f"/learners/import?session_id={their_session.id}").status_code == 404
    response = _upload(client, GOOD, session_id=their_session.id)
    assert response.status_code == 404 and db.session.query(Learner).count() == 1


def test_posts_without_csrf_are_refused(logged_in):
    assert logged_in.post("/learners", data={"name": "X", "email": "x@example.com"}).status_code == 400
    response = logged_in.post(
        "/learners/import", data={"file": (io.BytesIO(GOOD.encode()), "a.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert logged_in.post("/learners/import/whatever").status_code == 400
    assert db.session.query(Learner).count() == 0
