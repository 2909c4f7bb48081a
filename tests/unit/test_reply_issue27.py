"""Issue 27: a learner's emailed words are never lost, in any client (the issue's own examples, exactly)."""

from __future__ import annotations

import pytest

from drip.channels.sendgrid_inbound import parse_inbound
from drip.domain.html_text import body_text, html_to_text
from drip.domain.reply_text import visible_reply

QUOTE = "> Does Thursday work for the follow-up call?\n> Bob"


def test_an_answer_on_the_attributions_line_is_kept():
    text = f"Yes, Thursday works. On Wed, Apr 4, 2026 at 3:59 PM, Bob <bob@example.org> wrote:\n{QUOTE}"
    assert visible_reply(text) == "Yes, Thursday works."


def test_a_sentence_that_starts_like_a_phone_signature_is_the_learners():
    text = "Here is my answer.\nSent from my desk, which is easier than my phone."
    assert visible_reply(text) == text
    assert visible_reply("Here is my answer.\n\nSent from my iPhone") == "Here is my answer."


@pytest.mark.parametrize("own", [">>> see the link below <<<", "> 5 years of practice"])
def test_the_learners_own_lines_starting_with_a_greater_than_sign_are_kept(own):
    text = f"My answer:\n{own}\n\nOn Wed, Apr 4, 2026 at 3:59 PM, Bob <bob@example.org> wrote:\n{QUOTE}"
    assert visible_reply(text) == f"My answer:\n{own}"


def test_an_indenting_blockquote_is_the_learners_text_without_quote_marks():
    html = '<div>Plan:</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px"><div>Ask first.</div></blockquote>'
    assert html_to_text(html) == "Plan:\nAsk first."
    cited = '<div>Done.</div><blockquote type="cite"><div>How did it go?</div></blockquote>'
    assert html_to_text(cited) == "Done.\n> How did it go?"


def test_a_forward_without_a_note_keeps_the_forwarded_text_marked_as_forwarded():
    text = (
        "---------- Forwarded message ---------\nFrom: Bob <bob@example.org>\nDate: Wed, Apr 4, 2026 at 3:59 PM\n"
        "Subject: Notes\nTo: Ana <ana@example.com>\n\nMy notes from the practice."
    )
    assert visible_reply(text) == "---------- Forwarded message ---------\nMy notes from the practice."


@pytest.mark.parametrize(
    "text",
    [
        f"On Wed, Apr 4, 2026 at 3:59 PM, Bob <bob@example.org> wrote:\n{QUOTE}",
        "Sent from my iPhone",
        "--\nAna Souza\nTeam lead",
    ],
    ids=["only a quote", "only a phone signature", "only a signature"],
)
def test_a_reply_is_never_empty_when_the_email_has_text(text):
    assert visible_reply(text) == text


def test_a_dashed_line_of_the_learners_is_kept_unaltered():
    text = "----- Enter Feedback Below -----\nThe role play helped most."
    assert visible_reply(text) == text


def test_an_attribution_wrapped_over_three_lines_goes_whole():
    text = "Went well.\n\nOn Dec 16, 2025, at 12:47 PM, Corey Donohoe\n<corey@example.org>\nwrote:\n\n> How did it go?"
    assert visible_reply(text) == "Went well."


def test_hard_wrapped_quote_lines_and_broken_links_stay_in_the_quote():
    wrapped = (
        "It went better than I expected.\n\nOn Tue, Mar 3, 2026 at 9:00 AM Dana <d@example.org> wrote:\n"
        "> Hi Ana, how did practising the feedback model go this week? Reply in three\n"
        "lines, and tell me what you would change.\n> Dana"
    )
    assert visible_reply(wrapped) == "It went better than I expected."
    link = (
        "Done.\n\nOn Tue, Mar 3, 2026 at 9:00 AM Dana <d@example.org> wrote:\n"
        "> Watch this short video before Thursday: https://learn.example.org/videos/\n"
        "feedback-model-part-two?utm_source=drip\n> Dana"
    )
    assert visible_reply(link) == "Done."


def test_an_answer_between_quoted_questions_is_still_kept():
    text = (
        "On Tue, Mar 3, 2026 at 9:00 AM Dana <d@example.org> wrote:\n"
        "> 1. What did you try with your team this week, and how did it go for you\n"
        "it went fine, they liked it.\n> 2. What next?\nMore practice."
    )
    assert "it went fine, they liked it." in visible_reply(text) and "More practice." in visible_reply(text)


def test_a_quoted_printable_header_block_is_decoded_before_parsing():
    raw = (
        "From: Ana <ana@example.com>\nMessage-ID: <qp@example.com>\nMIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
        "It was useful, thank you. I tried the model with my whole team on Monday mo=\nrning.\n\n"
        "From: Dana <d@example.org>\nDate: Fri=2C 9 Jan 2026 10:00\nTo: Ana <ana@example.com>\nSubject: Practice\n\nHow did it go?\n"
    )
    email = parse_inbound({"email": raw})
    assert email.text == "It was useful, thank you. I tried the model with my whole team on Monday morning."


def test_encoded_words_in_headers_are_decoded():
    raw = (
        "From: =?UTF-8?Q?Ana_Garc=C3=ADa?= <ana@example.com>\nSubject: =?UTF-8?Q?Re:_Pr=C3=A1ctica?=\n"
        'Message-ID: <ew@example.com>\nContent-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: 8bit\n\n'
        "Lo practiqué.\n"
    )
    email = parse_inbound({"email": raw})
    assert (email.from_address, email.subject, email.text) == ("ana@example.com", "Re: Práctica", "Lo practiqué.")


def test_plain_text_is_preferred_unless_it_is_a_stub_of_the_html():
    html = "<div>Yes, Thursday works.</div><blockquote type='cite'>Does Thursday work?</blockquote>"
    assert body_text("Yes, Thursday works.", html) == "Yes, Thursday works."
    assert body_text("Please view this email in a browser.", html) == html_to_text(html)
    assert body_text("", html) == html_to_text(html)


def test_three_short_lines_under_a_time_are_not_taken_for_a_wrapped_attribution():
    text = "I met them at 10:30 today.\nGood talk.\nHere are my notes:\n> the question"
    assert visible_reply(text).startswith("I met them at 10:30 today.\nGood talk.\nHere are my notes:")


def test_a_closing_paragraph_of_prose_is_not_a_signature_block():
    text = "It helped.\n\nThanks for the session!\nWe tried it\nTwice this week\nAnd again today"
    assert visible_reply(text) == text
