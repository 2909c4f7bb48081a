"""Stripping quoted history and signatures from inbound email, as real clients write them."""

import pytest

from drip.domain.html_text import html_to_text
from drip.domain.reply_text import visible_reply

# mail-parser-reply passes re.sub's count positionally, which Python 3.13 deprecates; harmless here.
pytestmark = pytest.mark.filterwarnings("ignore:'count' is passed as positional argument:DeprecationWarning")

GMAIL = (
    "I tried the feedback model with my team today.\r\n"
    "It went well, two people asked for follow-ups.\r\n"
    "\r\n"
    "On Tue, Mar 4, 2025 at 9:00 AM Dana Trainer <reply+abc123@in.drip.example> wrote:\r\n"
    "> Hi Ana, how did practising the feedback model go?\r\n"
    "> Reply to this email.\r\n"
)

GMAIL_WRAPPED_ATTRIBUTION = """Option 2 please

On Tue, Mar 4, 2025 at 9:00 AM Dana Trainer from Acme Learning <
reply+abc123@in.drip.example> wrote:

> Which topic interests you most?
> 1. Feedback
> 2. Delegation
"""

GMAIL_FRENCH = """Je choisis 2

Le mar. 4 mars 2025 à 09:00, Dana Trainer <reply+abc123@in.drip.example> a écrit :
> Quel sujet ?
"""

OUTLOOK_DESKTOP = """I practised twice this week - the second time was easier.

________________________________
From: Dana Trainer <reply+abc123@in.drip.example>
Sent: Tuesday, March 4, 2025 9:00 AM
To: Ana Souza <ana@example.com>
Subject: Practice: the feedback model

Hi Ana, how did practising go?
"""

OUTLOOK_ORIGINAL_MESSAGE = """Count me in for delegation.

-----Original Message-----
From: Dana Trainer [mailto:reply+abc123@in.drip.example]
Sent: Tuesday, March 4, 2025 9:00 AM
To: Ana Souza
Subject: Poll

Which topic interests you most?
"""

OUTLOOK_NEW = """Yes, 3 for me.

From: Dana Trainer <reply+abc123@in.drip.example>
Sent: Tuesday, March 4, 2025 9:00 AM
To: Ana Souza <ana@example.com>
Subject: Poll

Which topic?
"""

OUTLOOK_MOBILE = """Delegation please

Get Outlook for iOS<https://aka.ms/o0ukef>
________________________________
From: Dana Trainer <reply+abc123@in.drip.example>
Sent: Tuesday, March 4, 2025 9:00:00 AM
To: Ana Souza <ana@example.com>
Subject: Poll

Which topic?
"""

APPLE_MAIL_IPHONE = """Loved the session. My question: how do I handle pushback?

Sent from my iPhone

> On Mar 4, 2025, at 09:00, Dana Trainer <reply+abc123@in.drip.example> wrote:
>\u0020
> Hi Ana, what stuck with you?
"""

APPLE_MAIL_DESKTOP = """Giving feedback on the same day made the difference.

> On 4 Mar 2025, at 09:00, Dana Trainer <reply+abc123@in.drip.example> wrote:
>
> What stuck with you?
"""


@pytest.mark.parametrize(
    "raw, visible",
    [
        pytest.param(
            GMAIL,
            "I tried the feedback model with my team today.\nIt went well, two people asked for follow-ups.",
            id="gmail",
        ),
        pytest.param(GMAIL_WRAPPED_ATTRIBUTION, "Option 2 please", id="gmail-wrapped-attribution"),
        pytest.param(GMAIL_FRENCH, "Je choisis 2", id="gmail-french"),
        pytest.param(OUTLOOK_DESKTOP, "I practised twice this week - the second time was easier.", id="outlook"),
        pytest.param(OUTLOOK_ORIGINAL_MESSAGE, "Count me in for delegation.", id="outlook-original-message"),
        pytest.param(OUTLOOK_NEW, "Yes, 3 for me.", id="new-outlook"),
        pytest.param(OUTLOOK_MOBILE, "Delegation please", id="outlook-mobile"),
        pytest.param(APPLE_MAIL_IPHONE, "Loved the session. My question: how do I handle pushback?", id="apple-iphone"),
        pytest.param(APPLE_MAIL_DESKTOP, "Giving feedback on the same day made the difference.", id="apple-desktop"),
    ],
)
def test_client_quoting_is_removed(raw, visible):
    assert visible_reply(raw) == visible


def test_dash_dash_space_signature_is_removed():
    assert visible_reply("Tried it in my 1:1, worked.\n\n-- \nAna Souza\nAcme Corp\n") == "Tried it in my 1:1, worked."


def test_short_sign_off_is_removed():
    body = "What I practised:\n- active listening\n- asking open questions\n\nThanks,\nAna\n"
    assert visible_reply(body) == "What I practised:\n- active listening\n- asking open questions"


def test_prose_starting_with_thanks_is_kept():
    body = "I tried the model.\nThanks, it helped a lot and I will use it again\nwith my whole team next week.\n"
    assert visible_reply(body) == body.strip()


def test_unmarked_name_block_is_kept():
    # Without "-- " or a sign-off there is no telling a name block from the learner's last lines.
    body = "Practised twice.\n\nAna Souza\nTeam Lead, Acme\n"
    assert visible_reply(body) == "Practised twice.\n\nAna Souza\nTeam Lead, Acme"


def test_thanks_as_first_words_is_kept():
    assert (
        visible_reply("Thanks, the examples helped.\nI used SBI twice.")
        == "Thanks, the examples helped.\nI used SBI twice."
    )


def test_hyphen_lists_are_not_signatures():
    assert visible_reply("My plan:\n- ask first\n- then listen") == "My plan:\n- ask first\n- then listen"


def test_interleaved_quotes_keep_only_the_answers():
    body = "> Which topic?\n> 1. Feedback\n\n2\n"
    assert visible_reply(body) == "2"


def test_reply_that_is_only_quoted_history_is_kept_whole():
    # Issue 27 changed this: a reply is never empty when the email carries text (it was "" before).
    only_quote = "On Tue, Mar 4, 2025 at 9:00 AM Dana <x@example.com> wrote:\n> hi"
    assert visible_reply(only_quote + "\n") == only_quote


@pytest.mark.parametrize("body", ["", "   ", "\r\n\r\n"])
def test_empty_bodies(body):
    assert visible_reply(body) == ""


def test_emoji_and_long_replies_survive():
    assert visible_reply("👍🎉\n\nOn Tue, Mar 4, 2025 at 9:00 AM Dana <x@example.com> wrote:\n> hi") == "👍🎉"
    long = "word " * 320
    assert visible_reply(long) == long.strip()


# --- HTML-only email -------------------------------------------------------------------------

GMAIL_HTML = (
    '<div dir="ltr">I tried it with my team.<div>It went <b>well</b>&nbsp;today.</div><div><br></div>'
    '</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Mar 4, 2025 at 9:00 AM '
    "Dana Trainer &lt;reply+abc@in.drip.example&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote"><div>How did practising go?</div></blockquote></div>'
)

OUTLOOK_HTML = (
    "<html><head><style>p{margin:0}</style></head><body><div><p>Option 2 please</p></div>"
    '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri">'
    "<b>From:</b> Dana Trainer &lt;reply+abc@in.drip.example&gt;<br><b>Sent:</b> Tuesday, March 4, 2025 "
    "9:00 AM<br><b>To:</b> Ana Souza<br><b>Subject:</b> Poll</font><div>&nbsp;</div></div>"
    "<div>Which topic?</div></body></html>"
)

APPLE_HTML = (
    "<html><body><div>Practised with my manager.</div><div><br></div><div>Ana</div><div><br>"
    '<blockquote type="cite"><div>On 4 Mar 2025, at 09:00, Dana Trainer &lt;reply+abc@in.drip.example&gt; '
    "wrote:</div><br><div><div>How did it go?</div></div></blockquote></div></body></html>"
)


def test_html_to_text_keeps_lines_and_marks_quotes():
    assert html_to_text(GMAIL_HTML) == (
        "I tried it with my team.\nIt went well today.\n\n"
        "On Tue, Mar 4, 2025 at 9:00 AM Dana Trainer <reply+abc@in.drip.example> wrote:\n"
        "> How did practising go?"
    )


@pytest.mark.parametrize(
    "html, visible",
    [
        pytest.param(GMAIL_HTML, "I tried it with my team.\nIt went well today.", id="gmail"),
        pytest.param(OUTLOOK_HTML, "Option 2 please", id="outlook"),
        pytest.param(APPLE_HTML, "Practised with my manager.\n\nAna", id="apple"),
    ],
)
def test_html_only_replies(html, visible):
    assert visible_reply(html_to_text(html)) == visible


def test_html_to_text_hides_scripts_and_decodes_entities():
    html = "<head><title>t</title></head><script>var a = 1;</script><p>x &amp; y &lt;3</p><p>next</p>"
    assert html_to_text(html) == "x & y <3\n\nnext"


def test_html_lists_and_preformatted_text():
    assert html_to_text("<ul><li>one</li><li>two</li></ul><pre>a\n  b</pre>") == "- one\n- two\na\n  b"


# --- properties: what the learner wrote outside the quotes is never lost ---------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.lists(
    st.sampled_from(
        [
            "I",
            "tried",
            "it",
            "with",
            "my",
            "team",
            "twice",
            "and",
            "it",
            "worked",
            "Ça",
            "marché",
            "gut",
            "bien",
            "2",
            "B",
            "🙂",
            "today",
            "next",
            "time",
        ]
    ),
    min_size=1,
    max_size=12,
).map(" ".join)
_ATTRIBUTIONS = [
    "On Tue, Mar 4, 2025 at 9:00 AM Dana <reply+abc@in.drip.example> wrote:",
    "Le mar. 4 mars 2025 à 09:00, Dana <reply+abc@in.drip.example> a écrit :",
    "Am 04.03.25 um 09:00 schrieb Dana:",
]


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_WORDS, min_size=1, max_size=4), attribution=st.sampled_from(_ATTRIBUTIONS), below=st.booleans())
def test_the_learners_lines_survive_above_or_below_the_quote(lines, attribution, below):
    said = "\n".join(lines)
    quote = f"{attribution}\n> Hi Ana, how did it go?\n> Dana"
    body = f"{quote}\n\n{said}\n" if below else f"{said}\n\n{quote}\n"
    kept = visible_reply(body)
    assert kept, body
    for line in lines:
        assert line.strip() in kept
    assert "Hi Ana, how did it go?" not in kept


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_gives_text_and_never_raises(text):
    assert isinstance(visible_reply(text), str)


@settings(max_examples=150, deadline=None)
@given(paragraphs=st.lists(st.lists(_WORDS, min_size=1, max_size=3).map("\n".join), min_size=1, max_size=3))
def test_a_reply_that_quotes_nothing_is_kept_whole(paragraphs):
    body = "\n\n".join(paragraphs)
    assert visible_reply(body) == body.strip()
