"""`python -m bench.reply_corpus`: how exactly each email-reply splitter recovers what learners wrote.

The corpus (tests/unit/reply_corpus) holds emails shaped like what Gmail, Outlook, Apple Mail,
Thunderbird, Yahoo, Proton, Zoho, Fastmail, Samsung Email and HEY send, in many languages,
top-posted, inline and bottom-posted, plain, HTML-only and raw MIME (quoted-printable, base64);
each has a `.expected` file with the exact text Drip should keep. Cases in `issue27/` were
written for issue 27 before its fix. Drip's own path (SendGrid's Inbound Parse form ->
InboundEmail.text) is measured beside the libraries used bare on the same plain text, and their
combination. For each: exact (the text kept is the expected text), kept-all-words (every word
the learner wrote is kept, perhaps with more) and lost-words (some word the learner wrote is gone),
per category and per client. A library that is not installed is reported as such.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.reply_groups import category_of, client_of, lost_words

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "reply_corpus"
SENDER = "Ana Souza <ana.souza@example.com>"


@dataclass(frozen=True)
class Case:
    """One email of the corpus: its name, format (txt, html or eml), content and the exact text to keep."""

    name: str
    kind: str
    content: str
    expected: str
    batch: str = ""  # the subfolder: "" for the cases written before issue 27, "issue27" for its own


def load_cases(folder: Path = CORPUS) -> list[Case]:
    """Every case of the corpus (its subfolders too), by name."""
    cases = []
    for expected in sorted(folder.rglob("*.expected"), key=lambda path: path.stem):
        source = next(path for path in expected.parent.glob(expected.stem + ".*") if path.suffix != ".expected")
        cases.append(
            Case(
                expected.stem,
                source.suffix[1:],
                source.read_text(encoding="utf-8"),
                expected.read_text(encoding="utf-8").rstrip("\n"),
                "" if expected.parent == folder else expected.parent.name,
            )
        )
    return cases


def inbound_form(case: Case) -> dict[str, str]:
    """What SendGrid's Inbound Parse would post for this email (raw MIME in "Send Raw" mode)."""
    if case.kind == "eml":
        return {"email": case.content}
    return {
        "from": SENDER,
        "to": "reply+k7Qx2m@in.drip.example",
        "subject": "Re: Practice",
        "headers": "Message-ID: <corpus@example.com>\n",
        ("html" if case.kind == "html" else "text"): case.content,
    }


def drip_text(case: Case) -> str:
    """What Drip keeps of the email: InboundEmail.text, through the same path as the webhook."""
    from drip.channels.sendgrid_inbound import parse_inbound

    return parse_inbound(inbound_form(case)).text


def plain_text(case: Case) -> str:
    """The email's plain text as Drip hands it to a splitter (HTML turned to text, MIME decoded)."""
    from drip.channels.sendgrid_inbound import parse_inbound

    return parse_inbound(inbound_form(case)).full_text


def _mail_parser_reply(text: str) -> str:
    from mailparser_reply import EmailReplyParser
    from mailparser_reply.constants import MAIL_LANGUAGES

    languages = [code for code in MAIL_LANGUAGES if len(code) == 2]
    return EmailReplyParser(languages=languages).parse_reply(text)


def _email_reply_parser(text: str) -> str:
    from email_reply_parser import EmailReplyParser

    return EmailReplyParser.parse_reply(text)


def _quotequail(text: str) -> str:
    import quotequail

    # unwrap() finds the attribution or header block and returns the text above and below it.
    found = quotequail.unwrap(text)
    if not found:
        return text
    return "\n\n".join(part for part in (found.get("text_top"), found.get("text_bottom")) if part)


def _combined(text: str) -> str:
    """quotequail cuts the history, then mail-parser-reply the signature: the libraries' best together."""
    return _mail_parser_reply(_quotequail(text))


def _normal(text: str | None) -> str:
    return re.sub(
        r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    ).strip()


SPLITTERS: dict[str, Callable[[Case], str]] = {
    "drip": drip_text,
    "mail-parser-reply": lambda case: _mail_parser_reply(plain_text(case)),
    "email-reply-parser": lambda case: _email_reply_parser(plain_text(case)),
    "quotequail": lambda case: _quotequail(plain_text(case)),
    "quotequail+mail-parser-reply": lambda case: _combined(plain_text(case)),
}


@dataclass
class Tally:
    """One splitter's figures over a group of cases."""

    cases: int = 0
    exact: int = 0
    kept_all: int = 0  # every word the learner wrote is kept (perhaps with more)
    lost: int = 0  # some word the learner wrote is gone

    def add(self, expected: str, kept: str) -> None:
        """Count one case."""
        self.cases += 1
        self.exact += _normal(kept) == _normal(expected)
        missing = lost_words(expected, kept)
        self.kept_all += not missing
        self.lost += bool(missing)

    def cell(self) -> str:
        """exact/kept-all/lost as printed in a table."""
        return f"{self.exact:3}/{self.kept_all:3}/{self.lost:3}"


def measure(cases: list[Case], splitter: Callable[[Case], str]) -> tuple[list[str], float]:
    """The names of the cases a splitter gets wrong, and its mean time per email in milliseconds."""
    wrong, started = [], time.perf_counter()
    for case in cases:
        if _normal(splitter(case)) != _normal(case.expected):
            wrong.append(case.name)
    return wrong, 1000 * (time.perf_counter() - started) / max(1, len(cases))


def _tables(cases: list[Case], outputs: dict[str, dict[str, str]], group: Callable[[Case], str]) -> list[str]:
    names = list(outputs)
    groups = sorted({group(case) for case in cases})
    lines = [f"{'':38} {'cases':>5}  " + "  ".join(f"{name[:15]:>15}" for name in names)]
    for key in groups + ["all"]:
        members = [case for case in cases if key == "all" or group(case) == key]
        tallies = {name: Tally() for name in names}
        for case in members:
            for name in names:
                tallies[name].add(case.expected, outputs[name][case.name])
        lines.append(f"{key[:38]:38} {len(members):5}  " + "  ".join(f"{tallies[n].cell():>15}" for n in names))
    return lines


def main(argv=None) -> None:
    """Print each splitter's exact / kept-all-words / lost-words counts, per category and per client."""
    parser = argparse.ArgumentParser(prog="python -m bench.reply_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the cases Drip misses, with lost words")
    args = parser.parse_args(argv)
    cases = load_cases()
    print(f"{len(cases)} emails in {CORPUS} ({sum(not c.batch for c in cases)} written before issue 27)")
    outputs: dict[str, dict[str, str]] = {}
    for name, splitter in SPLITTERS.items():
        try:
            started = time.perf_counter()
            outputs[name] = {case.name: splitter(case) or "" for case in cases}
            per_email = 1000 * (time.perf_counter() - started) / max(1, len(cases))
        except ImportError as error:
            print(f"{name:30} not installed ({error.name})")
            continue
        print(f"{name:30} {per_email:6.2f} ms/email")
    print("\neach cell: exact / kept all words / lost words")
    print("\n".join(["", "per category:"] + _tables(cases, outputs, lambda case: category_of(case.name))))
    print("\n".join(["", "per client:"] + _tables(cases, outputs, lambda case: client_of(case.name))))
    print("\n".join(["", "per batch:"] + _tables(cases, outputs, lambda case: case.batch or "before issue 27")))
    if args.verbose:
        for case in cases:
            kept = outputs["drip"][case.name]
            if _normal(kept) != _normal(case.expected):
                missing = " ".join(sorted(lost_words(case.expected, kept)))
                print(f"    missed {case.name}" + (f"  (lost: {missing})" if missing else ""))


if __name__ == "__main__":
    main()
