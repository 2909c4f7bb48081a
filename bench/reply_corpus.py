"""`python -m bench.reply_corpus`: how exactly each email-reply splitter recovers what learners wrote.

The corpus (tests/unit/reply_corpus) holds emails shaped like what Gmail, Outlook, Apple Mail,
Thunderbird, Yahoo, Proton and Zoho send, in many languages, top-posted, inline and bottom-posted;
each has a `.expected` file with the exact text Drip should keep. Drip's own path (SendGrid's
Inbound Parse form -> InboundEmail.text) is measured beside the libraries used bare on the same
plain text: a library that is not installed is reported as such.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "reply_corpus"
SENDER = "Ana Souza <ana.souza@example.com>"


@dataclass(frozen=True)
class Case:
    """One email of the corpus: its name, format (txt, html or eml), content and the exact text to keep."""

    name: str
    kind: str
    content: str
    expected: str


def load_cases(folder: Path = CORPUS) -> list[Case]:
    """Every case of the corpus, by name."""
    cases = []
    for expected in sorted(folder.glob("*.expected")):
        source = next(path for path in folder.glob(expected.stem + ".*") if path.suffix != ".expected")
        cases.append(
            Case(
                expected.stem,
                source.suffix[1:],
                source.read_text(encoding="utf-8"),
                expected.read_text(encoding="utf-8").rstrip("\n"),
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


def _normal(text: str | None) -> str:
    return re.sub(
        r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n"))
    ).strip()


SPLITTERS: dict[str, Callable[[Case], str]] = {
    "drip (mail-parser-reply + drip.domain.reply_text)": drip_text,
    "mail-parser-reply 1.36, bare": lambda case: _mail_parser_reply(plain_text(case)),
    "email-reply-parser 0.5.12": lambda case: _email_reply_parser(plain_text(case)),
    "quotequail 0.5.4": lambda case: _quotequail(plain_text(case)),
}


def measure(cases: list[Case], splitter: Callable[[Case], str]) -> tuple[list[str], float]:
    """The names of the cases a splitter gets wrong, and its mean time per email in milliseconds."""
    wrong, started = [], time.perf_counter()
    for case in cases:
        if _normal(splitter(case)) != _normal(case.expected):
            wrong.append(case.name)
    return wrong, 1000 * (time.perf_counter() - started) / max(1, len(cases))


def main(argv=None) -> None:
    """Print each splitter's exact-match rate on the corpus (and, with -v, the cases it misses)."""
    parser = argparse.ArgumentParser(prog="python -m bench.reply_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the cases each splitter misses")
    args = parser.parse_args(argv)
    cases = load_cases()
    print(f"{len(cases)} emails in {CORPUS}")
    for name, splitter in SPLITTERS.items():
        try:
            wrong, per_email = measure(cases, splitter)
        except ImportError as error:
            print(f"{name:55} not installed ({error.name})")
            continue
        exact = len(cases) - len(wrong)
        print(f"{name:55} {exact:3}/{len(cases)} exact ({100 * exact / len(cases):5.1f} %)  {per_email:6.2f} ms/email")
        if args.verbose:
            for case in wrong:
                print(f"    missed {case}")


if __name__ == "__main__":
    main()
