"""The replies page in a real browser: practice reports by SMS and email, a 20-vote poll chart, escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import session_sequences, utcnow
from tests.browser.conftest import sign_in
from tests.support.webhook_drain import drain
from tests.support.inbound_factory import (
    EMAIL_PATH,
    SMS_PATH,
    make_learner,
    make_session,
    make_step,
    sent_delivery,
    sms_form,
    twilio_signature,
)

pytestmark = pytest.mark.browser
SECRET = "browser-inbound-secret"
DOMAIN = "inbound.example.com"
CHOICES = ["Giving feedback", "Receiving feedback", "Feedback to my manager"]

# The plain-text and HTML parts Gmail sends for a reply, quoted history included.
GMAIL_TEXT = """Tried it with Sam on Tuesday: situation first, then the behaviour, then the impact. He listened!

On Wed, 4 Mar 2026 at 09:00, Tess Trainer <{address}> wrote:

> Practice time: give one piece of feedback using Situation-Behaviour-Impact
> this week, then reply and tell me how it went.
>
> Tess
"""
GMAIL_HTML = """<div dir="ltr">Tried it with Sam on Tuesday: situation first, then the behaviour, then the impact. He listened!</div>
<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, 4 Mar 2026 at 09:00, Tess Trainer &lt;{address}&gt; wrote:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">
Practice time: give one piece of feedback using Situation-Behaviour-Impact this week, then reply and tell me how it went.<br>Tess</blockquote></div>
"""


@pytest.fixture()
def past(app, trainer):
    app.config.update(SENDGRID_INBOUND_SECRET=SECRET, INBOUND_EMAIL_DOMAIN=DOMAIN)
    ts = make_session(trainer, title="Feedback that lands", starts_at=utcnow() - timedelta(days=1, hours=3))
    poll = make_step(trainer, "poll", choices=CHOICES, body="Which do you want to practise? Reply 1, 2 or 3.")
    practice = make_step(
        trainer,
        "practice",
        channel="email",
        subject="Your practice for this week",
        body="Give one piece of SBI feedback this week and reply with how it went.",
    )
    db.session.execute(
        session_sequences.insert(),
        [
            {"session_id": ts.id, "sequence_id": poll.sequence_id},
            {"session_id": ts.id, "sequence_id": practice.sequence_id},
        ],
    )
    db.session.commit()
    return ts, poll, practice


def text(app, base_url, body, sender):
    form = sms_form(body, sender)
    response = requests.post(
        base_url + SMS_PATH, data=form, timeout=5, headers={"X-Twilio-Signature": twilio_signature(app, form)}
    )
    assert response.status_code == 200


def email(base_url, *, sender, to, text_part, html_part):
    fields = {
        "headers": f"From: {sender}\nTo: {to}\nSubject: Re: Your practice for this week\n"
        "Message-ID: <CAJx1-gmail-reply@mail.gmail.com>\nMIME-Version: 1.0\n",
        "from": sender,
        "to": to,
        "subject": "Re: Your practice for this week",
        "text": text_part,
        "html": html_part,
        "envelope": '{"to":["%s"],"from":"grace@example.com"}' % to,
        "SPF": "pass",
        "attachments": "0",
    }
    response = requests.post(
        f"{base_url}{EMAIL_PATH}?token={SECRET}", timeout=5, files={key: (None, value) for key, value in fields.items()}
    )
    assert response.status_code == 200 and response.json() == {"stored": True, "duplicate": False}  # a worker routes it


def test_sms_and_email_practice_reports_appear_without_the_quote(app, page, live_server, trainer, past):
    ts, _, practice = past
    ada = make_learner(trainer, "Ada Lovelace", phone="+14155550101")
    grace = make_learner(trainer, "Grace Hopper", phone=None, email="grace@example.com")
    sent_delivery(ts, ada, practice, sent_at=utcnow() - timedelta(hours=3))
    delivery = sent_delivery(ts, grace, practice, sent_at=utcnow() - timedelta(hours=3))
    text(app, live_server, "Did it at standup today, it felt less awkward than I thought", "+14155550101")
    address = f"reply+{delivery.reply_token}@{DOMAIN}"
    email(
        live_server,
        sender="Grace Hopper <grace@example.com>",
        to=address,
        text_part=GMAIL_TEXT.format(address=address),
        html_part=GMAIL_HTML.format(address=address),
    )
    drain()  # the email is stored; a worker would route it

    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/replies")
    section = page.locator(f"#step-{practice.id}")
    expect(section.locator(".reply-item")).to_have_count(2)
    expect(section).to_contain_text("Did it at standup today, it felt less awkward than I thought")
    expect(section).to_contain_text(
        "Tried it with Sam on Tuesday: situation first, then the behaviour, then the impact. He listened!"
    )
    expect(section).not_to_contain_text("wrote:")
    expect(section).not_to_contain_text("Practice time: give one piece")
    expect(section.locator(".badge", has_text="Email")).to_have_count(2)  # the step's badge and Grace's reply
    expect(section.locator(".reply-item .badge", has_text="SMS")).to_have_count(1)


def test_a_poll_with_twenty_votes_shows_its_tally(app, page, live_server, trainer, past):
    ts, poll, _ = past
    answers = ["1"] * 9 + ["2", "two", "Receiving feedback", " 2. "] + ["3"] * 7  # 9, 4, 7
    for index, answer in enumerate(answers):
        learner = make_learner(trainer, f"Learner {index:02d}", phone=f"+141555502{index:02d}")
        sent_delivery(ts, learner, poll, sent_at=utcnow() - timedelta(hours=2))
        text(app, live_server, answer, learner.phone)
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/replies")
    chart = page.locator(f"#step-{poll.id} .poll-chart")
    expect(chart.locator(".tally-voters")).to_have_text("20")
    expect(chart.locator(".tally-votes")).to_have_text(["9", "4", "7"])
    widths = chart.locator(".tally-bar").evaluate_all("bars => bars.map(b => b.getBoundingClientRect().width)")
    assert widths[0] > widths[2] > widths[1] > 0
    expect(chart.locator(".tally-bar.is-top")).to_have_count(1)


def test_learner_text_is_text_on_the_replies_page(app, page, live_server, trainer, past):
    ts, _, practice = past
    ada = make_learner(trainer, "Ada Lovelace", phone="+14155550101")
    sent_delivery(ts, ada, practice)
    text(app, live_server, "<script>alert(1)</script>", "+14155550101")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/replies")
    expect(page.locator(".reply-body", has_text="<script>alert(1)</script>")).to_be_visible()
    page.get_by_role("link", name="Ada Lovelace").click()
    expect(page).to_have_url(re.compile(r"/learners/\d+"))
    expect(page.locator(".reply-body", has_text="<script>alert(1)</script>")).to_be_visible()
    assert dialogs == []


def test_the_trainer_answers_and_the_thread_shows_both(app, page, live_server, trainer, past):
    ts, _, practice = past
    ada = make_learner(trainer, "Ada Lovelace", phone="+14155550101")
    sent_delivery(ts, ada, practice)
    text(app, live_server, "I could not find a moment this week", "+14155550101")
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/replies")
    page.locator(".reply-item").get_by_role("link", name="Reply").click()
    page.get_by_placeholder("Great work").fill("Try your next one-to-one: two minutes is enough.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sent to Ada Lovelace by SMS.")).to_be_visible()
    thread = page.locator(".thread")
    expect(thread.locator(".bubble-in")).to_contain_text("I could not find a moment this week")
    expect(thread.locator(".bubble-out")).to_contain_text("Try your next one-to-one")
