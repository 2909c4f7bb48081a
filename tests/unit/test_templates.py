"""Step body rendering, validation, and SMS segment counting (Python and the admin's JS)."""

import json
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from drip.domain import templates
from drip.domain.templates import (
    GSM_BASIC,
    GSM_EXTENDED,
    SegmentCount,
    TemplateProblem,
    render,
    sample_context,
    sms_segments,
    validate,
)

JS_COUNTER = Path(__file__).resolve().parents[2] / "drip" / "static" / "js" / "sms_counter.js"

EVERY_NAME = (
    "Hi {{ first_name }} ({{ name }}), {{ session.title }} starts {{ session.starts_at }}: "
    "{{ session.join_url }}. {{ trainer.name }}. {{ reply_hint }}"
)


# --- rendering -------------------------------------------------------------------------------


def test_render_fills_every_documented_name():
    text = render(EVERY_NAME, sample_context())
    assert text == (
        "Hi Maya (Maya Okafor), Giving Feedback That Lands starts Tue 14 Oct, 9:30 AM EDT: "
        "https://meet.example.com/feedback-lands. Dana Whitfield. Reply to this message to answer."
    )


def test_plain_text_is_not_escaped_but_html_is():
    context = {**sample_context(), "first_name": "Ana <b>&</b>"}
    assert render("Hi {{ first_name }}", context) == "Hi Ana <b>&</b>"
    assert render("Hi {{ first_name }}", context, html=True) == "Hi Ana &lt;b&gt;&amp;&lt;/b&gt;"


def test_same_body_compiles_once_per_mode():
    body = "Cache check {{ first_name }} 7f3a"
    assert templates._compiled(body, False) is templates._compiled(body, False)
    assert templates._compiled(body, False) is not templates._compiled(body, True)


def test_filters_and_conditions_work():
    body = "{% if first_name %}{{ first_name|upper }}{% else %}there{% endif %}"
    assert render(body, sample_context()) == "MAYA"


def test_unknown_variable_is_named():
    with pytest.raises(TemplateProblem, match="unknown variable 'frist_name'"):
        render("Hi {{ frist_name }}", sample_context())


def test_unknown_field_is_named():
    with pytest.raises(TemplateProblem, match="unknown field 'titel'"):
        render("{{ session.titel }}", sample_context())


def test_syntax_error_gives_line():
    with pytest.raises(TemplateProblem) as caught:
        render("Hello\n{{ first_name }\nbye", sample_context())
    assert caught.value.line == 2
    # Issue 22: the trainer is told which `{{ …` is not closed, not the template engine's wording.
    assert str(caught.value) == "Line 2: `{{ first_name }` is not closed: end it with }}"


def test_problem_is_a_value_error():
    assert issubclass(TemplateProblem, ValueError)


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ first_name.__class__ }}",
        "{{ 'x' * 10000000 }}",
        "{{ 10 ** 100000 }}",
    ],
)
def test_sandbox_refuses_unsafe_bodies(body):
    with pytest.raises(TemplateProblem, match="not allowed"):
        render(body, sample_context())


def test_sandbox_context_is_immutable():
    context = {"items": [1]}
    with pytest.raises(TemplateProblem):
        render("{{ items.append(2) }}", context)
    assert context["items"] == [1]


def test_arithmetic_is_refused_before_it_runs():
    with pytest.raises(TemplateProblem, match="not allowed in a message: arithmetic"):
        render("{{ 1 / 0 }}", sample_context())


# --- validation ------------------------------------------------------------------------------


def test_validate_accepts_good_body_and_subject():
    assert validate(EVERY_NAME, subject="{{ session.title }} tomorrow") == []


def test_validate_lists_every_unknown_name_with_lines():
    reasons = validate("Hi {{ frist_name }}\n{{ session.titel }} {{ trainer.email }} {{ frist_name }}")
    assert reasons == [
        "Line 1: unknown variable 'frist_name' (did you mean first_name?)",
        "Line 2: unknown field 'session.titel' (did you mean session.title?)",
        "Line 2: unknown field 'trainer.email'",
    ]


def test_validate_allows_names_the_template_defines():
    assert validate("{% for x in ['a'] %}{{ x }} {{ loop.index }}{% endfor %}") == []
    assert validate("{% set greeting = 'Hi' %}{{ greeting }}") == ["Line 1: not allowed in a message: {% set %}"]


def test_validate_reports_syntax_error():
    assert validate("{% if first_name %}open") == ["Line 1: a {% if %} has no end: add {% endif %}"]
    assert validate("Hi {{ first_name") == ["Line 1: `{{ first_name` is not closed: end it with }}"]
    assert validate("Hi {{ first name }}") == [
        "Line 1: write one name between {{ and }}, such as {{ first_name }} (names have no spaces)"
    ]


def test_validate_reports_sandbox_violation():
    assert validate("{{ name.__class__ }}")[0].startswith("not allowed in a message")


def test_validate_prefixes_subject_reasons():
    assert validate("Hello", subject="{{ sesion.title }}") == [
        "Subject: Line 1: unknown variable 'sesion' (did you mean session?)"
    ]


def test_validate_rejects_empty_body_and_subject():
    assert validate("  \n", subject="") == ["The message is empty.", "Subject: the subject is empty."]


def test_sample_context_is_fresh_each_time():
    first = sample_context()
    first["session"]["title"] = "changed"
    assert sample_context()["session"]["title"] == "Giving Feedback That Lands"


# --- SMS segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("", SegmentCount("GSM-7", 0, 0, 160, 160), id="empty"),
        pytest.param("a" * 160, SegmentCount("GSM-7", 160, 1, 160, 0), id="gsm-160"),
        pytest.param("a" * 161, SegmentCount("GSM-7", 161, 2, 153, 145), id="gsm-161"),
        pytest.param("a" * 306, SegmentCount("GSM-7", 306, 2, 153, 0), id="gsm-306"),
        pytest.param("a" * 307, SegmentCount("GSM-7", 307, 3, 153, 152), id="gsm-307"),
        pytest.param("a" * 1600, SegmentCount("GSM-7", 1600, 11, 153, 83), id="gsm-1600"),
        pytest.param("€" * 80, SegmentCount("GSM-7", 160, 1, 160, 0), id="extension-160"),
        # 76 euros fill 152 of 153; the 77th cannot be split, so part two holds 4 euros and the "a".
        pytest.param("€" * 80 + "a", SegmentCount("GSM-7", 161, 2, 153, 144), id="extension-161"),
        pytest.param("{}[]", SegmentCount("GSM-7", 8, 1, 160, 152), id="brackets"),
        pytest.param("\f", SegmentCount("GSM-7", 2, 1, 160, 158), id="form-feed"),
        pytest.param("é ñ Ä ß Ω @ £ ¥ §\r\n", SegmentCount("GSM-7", 19, 1, 160, 141), id="gsm-accents"),
        pytest.param("ê" * 70, SegmentCount("UCS-2", 70, 1, 70, 0), id="ucs2-70"),
        pytest.param("ê" * 71, SegmentCount("UCS-2", 71, 2, 67, 63), id="ucs2-71"),
        pytest.param("a" * 159 + "ê", SegmentCount("UCS-2", 160, 3, 67, 41), id="one-non-gsm-char"),
        pytest.param("😀", SegmentCount("UCS-2", 2, 1, 70, 68), id="emoji"),
        pytest.param("😀" * 35, SegmentCount("UCS-2", 70, 1, 70, 0), id="emoji-70-units"),
        # 33 emoji fill 66 of 67; the 34th's surrogate pair moves whole into part two.
        pytest.param("😀" * 36, SegmentCount("UCS-2", 72, 2, 67, 61), id="emoji-72-units"),
        pytest.param("“smart quotes”", SegmentCount("UCS-2", 14, 1, 70, 56), id="smart-quotes"),
    ],
)
def test_sms_segments(text, expected):
    assert sms_segments(text) == expected


def test_extension_char_is_not_split_across_parts():
    # 152 + 2 would be 154 > 153: the escape sequence moves whole into part two.
    assert sms_segments("a" * 152 + "€" + "a" * 10) == SegmentCount("GSM-7", 164, 2, 153, 141)


def test_emoji_is_not_split_across_parts():
    assert sms_segments("a" * 66 + "😀" + "a" * 5) == SegmentCount("UCS-2", 73, 2, 67, 60)


def test_gsm_tables_have_the_standard_size():
    assert len(GSM_BASIC) == len(set(GSM_BASIC)) == 127  # 128 positions minus ESC
    assert set(GSM_EXTENDED) == set("\f^{}\\[~]|€")
    assert not set(GSM_BASIC) & set(GSM_EXTENDED)


def _js_string(name: str) -> str:
    """Read a double-quoted string constant from sms_counter.js (its escapes are JSON's)."""
    match = re.search(rf'const {name} = ("(?:[^"\\]|\\.)*");', JS_COUNTER.read_text(encoding="utf-8"))
    assert match, f"{name} not found in {JS_COUNTER.name}"
    return json.loads(match.group(1))


def test_js_counter_uses_the_same_tables():
    assert _js_string("GSM_BASIC") == GSM_BASIC
    assert _js_string("GSM_EXTENDED") == GSM_EXTENDED


def _samples() -> list[str]:
    rng = random.Random(7)
    alphabet = GSM_BASIC + GSM_EXTENDED + "êç€😀🎉中"
    fixed = ["", "a" * 160, "a" * 161, "€" * 80 + "a", "ê" * 71, "😀" * 36, "a" * 66 + "😀" + "a" * 5]
    return fixed + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400))) for _ in range(200)]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_counter_counts_like_python():
    script = (
        "const c = require(process.argv[1]);"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(texts.map((t) => { const r = c.smsSegments(t);"
        " return [r.encoding, r.units, r.segments, r.perSegment, r.remaining, c.describe(r)]; })));"
    )
    texts = _samples()
    result = subprocess.run(
        ["node", "-e", script, str(JS_COUNTER)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for text, js in zip(texts, json.loads(result.stdout), strict=True):
        count = sms_segments(text)
        assert js[:5] == [count.encoding, count.units, count.segments, count.per_segment, count.remaining], text
    assert json.loads(result.stdout)[1][5] == "160 / 160 · 1 segment · GSM-7"
    assert json.loads(result.stdout)[2][5] == "161 / 306 · 2 segments · GSM-7"


def test_summary_shows_names_as_placeholders_never_raw_code():
    from drip.domain.templates import summary

    text = summary("Hi {{ first_name }}, {{ session.title }} starts {{ session.starts_in }}.", "Feedback")
    assert text == "Hi [first name], Feedback starts [in N days]."
    assert summary("Broken {{ first_name", "Feedback") == "Broken {{ first_name"


def test_a_render_past_its_cpu_budget_is_refused(monkeypatch):
    monkeypatch.setattr(templates, "RENDER_SECONDS", 0.0)
    with pytest.raises(TemplateProblem, match="takes too long to render"):
        templates.render("Hi {{ first_name }}, see you {{ when }}.", {"first_name": "Ana", "when": "soon"})


class _Stalled:
    """A value whose rendering waits without using the CPU: a thread waiting for a core, the GIL or the VM."""

    def __str__(self) -> str:
        time.sleep(templates.RENDER_SECONDS * 1.2)
        return "soon"


def test_a_render_that_waits_for_the_machine_is_not_over_its_budget():
    rendered = templates.render("Hi {{ first_name }}, see you {{ when }}.", {"first_name": "Ana", "when": _Stalled()})
    assert rendered == "Hi Ana, see you soon."
