"""Pure rules of the lurker loop: link tokens and scanners, engagement states and falling, digest answers and SMS fit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from drip.domain import digests, engagement, links
from drip.domain.templates import render, sms_segments

NOW = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"


def test_tokens_round_trip_and_refuse_forgeries_and_other_purposes():
    value = links.token("secret", 123456, 7)
    assert links.parse_token("secret", value) == (123456, 7)
    # Every token parses back, whatever its signature looks like (a "-" in it once split tokens apart).
    assert all(links.parse_token("s", links.token("s", d, 1)) == (d, 1) for d in range(1, 2000))
    assert links.parse_token("other secret", value) is None
    assert links.parse_token("secret", value, "private") is None
    d, l, sig = value.split("-")
    assert links.parse_token("secret", f"{d}-{links._b36(8)}-{sig}") is None
    assert links.parse_token("secret", value + ".") == (123456, 7)  # a sentence's full stop taken into the link
    assert links.parse_token("secret", "not-a-token") is None and links.parse_token("secret", "x" * 80) is None


def test_rewrite_keeps_trailing_punctuation_outside_the_link():
    text = "Slides: https://ex.com/a?b=1. Join (https://meet.ex.com/x), bye"
    assert (
        links.rewrite(text, lambda url: f"<{url}>")
        == "Slides: <https://ex.com/a?b=1>. Join (<https://meet.ex.com/x>), bye"
    )


def test_scanner_flags():
    sent = NOW - timedelta(seconds=3)

    def flag(**kw):
        base = {"method": "GET", "user_agent": BROWSER, "has_cookie": False, "sent_at": NOW - timedelta(minutes=5)}
        return links.scanner_flag(**{**base, "now": NOW, **kw})

    assert flag() is None
    assert flag(method="HEAD") == "head"
    assert flag(user_agent="Mozilla/5.0 (compatible; Barracuda Sentinel)") == "scanner_agent"
    assert flag(user_agent="") == "scanner_agent"
    assert flag(sent_at=sent) == "too_soon"
    assert flag(sent_at=sent, has_cookie=True) is None


def test_states_and_the_opt_out_that_outranks_them():
    def facts(**kw):
        base = {"learner_id": 1, "received": 2, "read": False, "replied": False, "opted_out": False}
        return engagement.LearnerFacts(**{**base, **kw})

    assert engagement.state(facts(read=True, replied=True)) == "active"
    assert engagement.state(facts(read=True)) == "reader"
    assert engagement.state(facts()) == "silent"
    assert engagement.state(facts(replied=True, opted_out=True)) == "opted_out"
    assert engagement.tally([facts(), facts(read=True)]) == {"active": 0, "reader": 1, "silent": 1, "opted_out": 0}


def _funnel(step_id, sent, engaged):
    return engagement.StepFunnel(step_id, "reminder", "sms", sent, sent, 0, engaged, 0, engaged, engaged)


def test_falling_needs_a_clear_drop_on_the_latest_step():
    assert engagement.falling([_funnel(1, 10, 8), _funnel(2, 10, 7), _funnel(3, 10, 4)])
    assert not engagement.falling([_funnel(1, 10, 8), _funnel(2, 10, 7)])
    assert not engagement.falling([_funnel(1, 10, 8)])
    assert not engagement.falling([_funnel(1, 2, 2), _funnel(2, 2, 0)])  # too few learners to tell


def test_answers_are_approved_only_never_private_or_opted_out_and_attributed_as_set():
    candidates = [
        digests.Candidate("Tried  it\nand it worked", "Ada", shared=True, private=False, opted_out=False),
        digests.Candidate("not approved", "Bo", shared=False, private=False, opted_out=False),
        digests.Candidate("private", "Cy", shared=True, private=True, opted_out=False),
        digests.Candidate("gone", "Dee", shared=True, private=False, opted_out=True),
        digests.Candidate("   ", "Eve", shared=True, private=False, opted_out=False),
    ]
    assert digests.answers(candidates, "first_name") == [{"text": "Tried it and it worked", "by": "Ada"}]
    assert digests.answers(candidates, "colleague") == [{"text": "Tried it and it worked", "by": "a colleague"}]


def test_an_sms_digest_keeps_to_the_segment_limit():
    items = [{"text": f"Answer number {n}: " + "words " * 20, "by": "a colleague"} for n in range(10)]
    body = "{% for a in answers %}- {{ a.text }}\n{% endfor %}"
    text, count = digests.fit_sms(items, lambda shown: render(body, {"answers": shown}), limit=3)
    assert 1 <= count < 10 and sms_segments(text).segments <= 3
    assert text == render(body, {"answers": items[:count]})
    long = [{"text": "word " * 400, "by": "Ada"}]
    one, count = digests.fit_sms(long, lambda shown: render(body, {"answers": shown}), limit=2)
    assert count == 1 and sms_segments(one).segments <= 2 and one.rstrip().endswith("…")  # cut, not dropped
