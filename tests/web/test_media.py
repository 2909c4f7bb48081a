"""The media library: upload through the API and the admin, public serving at /m/<token>, delete refused while used."""

from __future__ import annotations

import io

from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from drip.extensions import db
from drip.models import MediaItem, Sequence, Step, TrainingSession, session_slides
from tests.conftest import csrf_token
from tests.support.images import animated_gif, jpeg_with_location, minimal_pdf, noisy_png, png
from tests.web.test_api_support import SOON, api, other_api  # noqa: F401  (fixtures)


def multipart(data: bytes, name: str, **form) -> dict:
    """A multipart body as bytes: the test client would spool a large one to a file it never closes."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name), **form})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def _upload(api, data: bytes, name: str = "photo.png", **form):
    return api.post("/media", json=None, **multipart(data, name, **form))


def test_an_uploaded_png_is_served_publicly_with_safe_headers(api, client):
    answer = _upload(api, png(), "Team photo.png", alt_text="The team at the whiteboard")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["content_type"] == "image/png" and body["bytes"] > 0 and body["alt_text"].startswith("The team")
    assert body["url"].startswith("http") and "/m/" in body["url"]
    path = "/m/" + body["url"].rsplit("/m/", 1)[1]
    served = client.get(path)  # no login, no token: Twilio and mail clients fetch it
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert served.headers["Content-Disposition"].startswith("inline")
    assert Image.open(io.BytesIO(served.data)).size == (32, 32)
    again = client.get(path, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(path + "x").status_code == 404


def test_html_named_png_is_refused_and_stores_nothing(api):
    answer = _upload(api, b"<!doctype html><script>alert(document.cookie)</script>", "innocent.png")
    assert answer.status_code == 422
    assert "not a file the library takes" in answer.get_json()["details"]
    assert db.session.query(MediaItem).count() == 0


def test_a_6_mb_image_is_refused_with_413(api):
    answer = _upload(api, noisy_png(6), "huge.png")
    assert answer.status_code == 413 and "5 MB" in answer.get_json()["details"]
    assert db.session.query(MediaItem).count() == 0


def test_a_jpeg_with_gps_is_served_without_it(api, client):
    body = _upload(api, jpeg_with_location(), "holiday.jpeg").get_json()
    served = client.get("/m/" + body["url"].rsplit("/m/", 1)[1])
    assert served.headers["Content-Type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.data)).getexif()) == {}
    assert b"SecretPhone" not in served.data


def test_an_animated_gif_and_a_pdf_are_served_as_what_they_are(api, client):
    gif = _upload(api, animated_gif(4), "dance.gif").get_json()
    pdf = _upload(api, minimal_pdf(), "slides.pdf").get_json()
    served_gif = client.get("/m/" + gif["url"].rsplit("/m/", 1)[1])
    assert Image.open(io.BytesIO(served_gif.data)).n_frames == 4
    served_pdf = client.get("/m/" + pdf["url"].rsplit("/m/", 1)[1])
    assert served_pdf.headers["Content-Type"] == "application/pdf"
    assert served_pdf.headers["Content-Disposition"] == 'inline; filename="slides.pdf"'


def test_upload_without_a_file_is_a_400(api):
    assert api.post("/media", json={"file": "x"}).status_code == 400
    assert api.post("/media", data={"other": (io.BytesIO(png()), "a.png")}, json=None).status_code == 400


def test_the_library_lists_only_the_trainers_own_items(api, other_api):  # noqa: F811
    mine = _upload(api, png(), "mine.png").get_json()
    _upload(other_api, png(), "theirs.png")
    listed = api.get("/media").get_json()["items"]
    assert [item["id"] for item in listed] == [mine["id"]]
    assert (
        other_api.client.open(
            f"/api/v1/media/{mine['id']}", method="DELETE", headers={"Authorization": f"Bearer {other_api.token}"}
        ).status_code
        == 404
    )


def _use_in_step_and_session(trainer, media_id: int) -> None:
    sequence = Sequence(trainer_id=trainer.id, name="Onboarding")
    db.session.add(sequence)
    db.session.flush()
    db.session.add(
        Step(
            sequence_id=sequence.id,
            kind="info",
            channel="sms",
            anchor="start",
            offset="-P1D",
            body="Hi",
            image_id=media_id,
        )
    )
    ts = TrainingSession(trainer_id=trainer.id, title="Kick-off", starts_at=SOON, ends_at=SOON, timezone="UTC")
    db.session.add(ts)
    db.session.flush()
    db.session.execute(session_slides.insert().values(session_id=ts.id, media_id=media_id, position=0))
    db.session.commit()


def test_delete_is_refused_with_409_while_a_step_or_session_uses_it(api):
    body = _upload(api, png(), "used.png").get_json()
    _use_in_step_and_session(api.trainer, body["id"])
    delete = lambda: api.client.open(  # noqa: E731
        f"/api/v1/media/{body['id']}", method="DELETE", headers={"Authorization": f"Bearer {api.token}"}
    )
    refused = delete()
    assert refused.status_code == 409
    assert "Onboarding" in refused.get_json()["details"] and "Kick-off" in refused.get_json()["details"]
    db.session.execute(session_slides.delete())
    db.session.query(Step).update({"image_id": None})
    db.session.commit()
    assert delete().status_code == 200
    assert db.session.get(MediaItem, body["id"]) is None


def test_the_admin_library_uploads_shows_thumbnails_and_where_used(logged_in, trainer):
    page = logged_in.get("/media")
    assert page.status_code == 200 and "Nothing uploaded yet" in page.get_data(as_text=True)
    token = csrf_token(logged_in, "/media")
    answer = logged_in.post(
        "/media",
        data={"csrf_token": token, "file": (io.BytesIO(jpeg_with_location()), "board.jpg"), "alt_text": "Whiteboard"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.get_json()["ok"] is True
    item = db.session.query(MediaItem).one()
    _use_in_step_and_session(trainer, item.id)
    html = logged_in.get("/media").get_data(as_text=True)
    assert "board.jpg" in html and f"/m/{item.token}/thumbnail" in html and "Onboarding" in html and "Kick-off" in html
    thumb = logged_in.get(f"/m/{item.token}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"].startswith("image/")
    refused = logged_in.post(f"/media/{item.id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "was not deleted" in refused.get_data(as_text=True)
    assert db.session.get(MediaItem, item.id) is not None


def test_the_admin_upload_refuses_a_fake_image_with_the_reason(logged_in):
    token = csrf_token(logged_in, "/media")
    page = logged_in.post(
        "/media",
        data={"csrf_token": token, "file": (io.BytesIO(b"<html>hi</html>"), "x.gif")},
        follow_redirects=True,
    )
    assert "not a file the library takes" in page.get_data(as_text=True)
    assert db.session.query(MediaItem).count() == 0


def test_another_trainers_item_cannot_be_deleted_from_the_admin(logged_in, other_api):  # noqa: F811
    theirs = _upload(other_api, png(), "theirs.png").get_json()
    token = csrf_token(logged_in, "/media")
    assert logged_in.post(f"/media/{theirs['id']}/delete", data={"csrf_token": token}).status_code == 404
