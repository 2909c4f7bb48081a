"""The hostile email shapes of issue 23, finding 1 (and their cousins), at the largest size Drip accepts."""

from __future__ import annotations

# A form field larger than Flask's MAX_FORM_MEMORY_SIZE is refused (413): the largest text or html an
# Inbound Parse post can carry (a "Send Raw" post's `email` may fill the body: 8 MB, pictures
# included). test_the_largest_field_is_what_the_webhook_accepts keeps it honest.
FIELD_MAX = 500_000


def _fill(head: str, unit: str, tail: str = "", size: int = FIELD_MAX) -> str:
    return head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail


HTML_SHAPES = {
    "unclosed anchors": _fill("", "<a "),
    "nested divs": _fill("", "<div>"),
    "nested blockquotes": _fill("", "<blockquote>x"),
    "nested tables": _fill("", "<table><tr><td>"),
    "an unclosed comment": _fill("<!--", "a"),
    "open attributes": _fill("", '<a href="'),
    "unclosed tags": _fill("", "<p"),
    "character references": _fill("", "&#"),
    "a run of breaks": _fill("", "<br>"),
}
HALF = FIELD_MAX // 2 - 2
TEXT_SHAPES = {
    "a signature run of spaces": _fill("hello:", " ", "x"),
    "a run of punctuation between letters": "a" + "!" * HALF + "a" + "!" * HALF + "a",
    "a separator that never closes": _fill("--", "-", "x"),
    "an attribution that never ends": _fill("On ", "12:30 ", "wrote"),
    "an address that never ends": "a" * HALF + "@" + "b" * HALF + ":",
    "quote marks only": _fill("", "> \n"),
    "blank lines": _fill("", "\n"),
    "lines of one space": _fill("", " \n"),
    "a header block that repeats": _fill("", "From: x\n"),
    "phone signatures": _fill("", "Sent from my iPhone "),
    "phone signature lines": _fill("", "Sent from my iPhone\n"),
    "list items": _fill("", "1. "),
    "colons and spaces": _fill("", ": "),
    "tabs after a word": _fill("hello:", "\t", "x"),
    "dashes and words": _fill("", "- a "),
    "sign-offs": _fill("", "Thanks,\n"),
    "greater-than runs": _fill("", ">"),
    "underscores": _fill("", "_", "x"),
    "letters without an at sign": _fill("", "a"),
    "spaces then letters on each line": _fill("", " " * 60 + "x\n"),
}
