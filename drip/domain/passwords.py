"""Password rules: long enough and hard to guess, as a strength estimator judges it (zxcvbn)."""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200  # zxcvbn's time grows with length; nobody types more
MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable" against an online attack, about 10^8 guesses


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why this password would be refused (empty when it is fine); the account's own words count against it."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    own_words = [email.lower(), name.lower()]
    own_words += [word for word in re.split(r"[\W_]+", f"{email} {name}".lower()) if len(word) > 2]
    verdict = zxcvbn(password, user_inputs=own_words)
    if verdict["score"] >= MIN_SCORE:
        return []
    feedback = verdict["feedback"]
    hints = [feedback["warning"]] if feedback.get("warning") else []
    hints += feedback.get("suggestions") or []
    return ["This password is too easy to guess." + (" " + " ".join(hints) if hints else "")]
