"""Template mistakes in a trainer's words: which `{{ … }}` is not closed, which name is unknown, and
what they probably meant, instead of the template engine's own wording."""

from __future__ import annotations

import difflib
import re

_OPENERS = (("{{", "}}"), ("{%", "%}"))


def _unclosed(line: str) -> str | None:
    """The first `{{ …` or `{% …` on the line that has no closing mark, as the trainer typed it."""
    for opener, closer in _OPENERS:
        start = 0
        while (at := line.find(opener, start)) >= 0:
            close = line.find(closer, at + 2)
            following = line.find(opener, at + 2)
            if close < 0 or (0 <= following < close):
                snippet = line[at : following if following > at else None].rstrip()
                snippet = snippet if len(snippet) <= 30 else snippet[:29].rstrip() + "…"
                return f"`{snippet}` is not closed: end it with {closer}"
            start = close + 2
    return None


def syntax(message: str, line: str) -> str:
    """A syntax error of the template engine, said plainly about `line` (the line it happened on)."""
    unclosed = _unclosed(line)
    if unclosed:
        return unclosed
    block = re.search(r"innermost block that needs to be closed is '(\w+)'", message)
    if block:
        return f"a {{% {block.group(1)} %}} has no end: add {{% end{block.group(1)} %}}"
    if "expected token 'end of print statement'" in message:
        return "write one name between {{ and }}, such as {{ first_name }} (names have no spaces)"
    unknown = re.search(r"unknown tag '(\w+)'", message)
    if unknown:
        return f"{{% {unknown.group(1)} %}} is not something a message can use"
    if "}}" in line and "{{" not in line:
        return "`}}` has no opening {{"
    return f"this is not valid template code ({message})"


def suggestion(name: str, known: list[str], prefix: str = "") -> str:
    """ " (did you mean first_name?)" for a misspelt name, else ""."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""
