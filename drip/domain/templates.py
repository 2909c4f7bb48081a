"""Step bodies: sandboxed Jinja rendering, trainer-facing validation and SMS segment counting."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from drip.domain import template_rules, template_words
from drip.domain.budget import Budget
from drip.domain.sms_segments import GSM_BASIC, GSM_EXTENDED, SegmentCount, sms_segments  # noqa: F401 (known here)

# The names a step body may use (DESIGN.md, "Step fields"), with the fields of each namespace.
CONTEXT_FIELDS: Mapping[str, frozenset[str]] = {
    "first_name": frozenset(),
    "name": frozenset(),
    "session": frozenset({"title", "starts_at", "starts_in", "join_url"}),
    "trainer": frozenset({"name"}),
    "sms_number": frozenset(),
    "reply_hint": frozenset(),
    "choices": frozenset(),  # polls and quizzes: "1 …" / "A) …" per line
    # Digests: the approved answers, [{text, by}]; testimonial steps: a consented quote, or "".
    "answers": frozenset(),
    "testimonial": frozenset(),
    # The learner's personal cohort page link (/c/<token>).
    "cohort_url": frozenset(),
}

# A trainer's body runs once per learner inside the workers: one bad template must not be able
# to allocate gigabytes or spin for minutes. template_rules refuses whatever computes; these
# bounds hold whatever slips through, on save and at send alike.
_MAX_OUTPUT_ITEMS = 100_000
_MAX_EXPONENT = 100
SMS_MAX_CHARACTERS = 1600  # Twilio refuses longer bodies
EMAIL_MAX_BYTES = 100 * 1024
RENDER_SECONDS = 0.5  # of the rendering thread's CPU (a full collection of the heap meanwhile not counted)
MAX_SOURCE_CHARACTERS = 10_000  # as the API's limit: compiling a huge body is slow in itself


class TemplateProblem(ValueError):
    """A step body that cannot be rendered, with a reason a trainer can act on."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"Line {line}: {reason}" if line else reason)


class _StepEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, plus limits on `*` and `**` (intercepting them also stops compile-time folding)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse huge powers and repetitions before computing them."""
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > _MAX_EXPONENT:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    if len(seq) * times > _MAX_OUTPUT_ITEMS:
                        raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


@functools.cache
def _environment(html: bool) -> _StepEnvironment:
    # One environment, created on first use; the HTML flavour is an overlay sharing its setup.
    if html:
        return _environment(False).overlay(autoescape=True)
    return _StepEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@functools.lru_cache(maxsize=512)
def _compiled(body: str, html: bool) -> Template:
    # The same body is rendered for every learner of a session: check and compile it once per source.
    environment = _environment(html)
    template_rules.check(environment.parse(body))
    return environment.from_string(body)


def _problem(error: Exception, source: str = "") -> TemplateProblem:
    """Translate a Jinja or runtime error into words a trainer understands."""
    if isinstance(error, TemplateSyntaxError):
        lines = source.splitlines() or [""]
        line = lines[min(max(error.lineno, 1), len(lines)) - 1]
        return TemplateProblem(template_words.syntax(error.message or "", line), error.lineno)
    if isinstance(error, UndefinedError):
        message = error.message or "a variable is undefined"
        if message.endswith(" is undefined"):
            return TemplateProblem(f"unknown variable {message.removesuffix(' is undefined')}")
        if "has no attribute" in message:
            return TemplateProblem(f"unknown field {message.rsplit(' ', 1)[-1]}")
        return TemplateProblem(message)
    if isinstance(error, template_rules.Refused):
        return TemplateProblem(f"not allowed in a message: {error.what}", error.line)
    if isinstance(error, SecurityError):
        return TemplateProblem(f"not allowed in a message: {error}")
    return TemplateProblem(f"cannot render: {error}")


def _bounded(template: Template, context: Mapping[str, Any], max_bytes: int) -> str:
    """Render piece by piece, stopping as soon as the output or the time goes over its bound.

    The time is the thread's CPU, as for parsing an email (domain.budget): a sending thread waiting for
    a core or the GIL, or a collection of the whole heap, is not the template's cost, and failed a
    learner's message once in a loaded test run."""
    budget, size, parts = Budget(RENDER_SECONDS), 0, []
    for part in template.generate(context):
        size += len(part.encode("utf-8"))
        if size > max_bytes:
            raise TemplateProblem(f"the message would be longer than {max_bytes // 1024} KB")
        if budget.spent():
            raise TemplateProblem("the message takes too long to render")
        parts.append(part)
    return "".join(parts)


def render(body: str, context: Mapping[str, Any], *, html: bool = False, sms: bool = False) -> str:
    """Render a step body for one learner (at most 1,600 characters for an SMS, 100 KB for an email).

    Raise TemplateProblem when it cannot be rendered or goes over its bound.
    """
    try:
        text = _bounded(_compiled(body, html), context, EMAIL_MAX_BYTES)
    except TemplateProblem:
        raise
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as error:
        raise _problem(error, body) from error
    if sms and len(text) > SMS_MAX_CHARACTERS:
        raise TemplateProblem(f"an SMS can be at most {SMS_MAX_CHARACTERS} characters (this one is {len(text)})")
    return text


def sample_context() -> dict[str, Any]:
    """A realistic learner context, used to validate and preview step bodies."""
    return {
        "first_name": "Maya",
        "name": "Maya Okafor",
        "session": {
            "title": "Giving Feedback That Lands",
            "starts_at": "Tue 14 Oct, 9:30 AM EDT",
            "starts_in": "in 6 days",
            "join_url": "https://meet.example.com/feedback-lands",
        },
        "trainer": {"name": "Dana Whitfield"},
        "sms_number": "+1 555 010 0123",
        "reply_hint": "Reply to this message to answer.",
        "choices": "1 Techniques I can use the next day\n2 Handling the tricky situations",
        "answers": [
            {"text": "I asked my team what they needed first, and they told me.", "by": "Sam"},
            {"text": "Shorter feedback, sooner: it worked.", "by": "a colleague"},
        ],
        "testimonial": "The practice texts kept me at it. I use the feedback model every week. (Jo)",
        "cohort_url": "https://drip.example.com/c/3kJ9xQ2vL8mN4pR7sT1wY6zA5bC0dE",
    }


def summary(body: str, session_title: str) -> str:
    """A step body as a trainer skims it in a list: names shown as [first name], never as raw {{ }} code."""
    ctx = sample_context()
    ctx.update(
        first_name="[first name]",
        name="[name]",
        trainer={"name": "[trainer]"},
        sms_number="[Drip number]",
        reply_hint="[how to reply]",
        cohort_url="[group page link]",
        choices="[the choices]",
    )
    ctx["session"] = {
        "title": session_title,
        "starts_at": "[start time]",
        "starts_in": "[in N days]",
        "join_url": "[join link]",
    }
    try:
        return render(body, ctx)
    except TemplateProblem:
        return body


def _unknown_names(body: str) -> list[str]:
    """Every unknown variable or field in a body, so a trainer sees all of them at once."""
    ast = _environment(False).parse(body)
    # Before anything compiles it: Jinja's compiler folds constant expressions, so a refused
    # construct ('%0999999999d' | format(1)) would run during the very check meant to refuse it.
    template_rules.check(ast)
    undeclared = meta.find_undeclared_variables(ast) - CONTEXT_FIELDS.keys()
    reasons: dict[str, TemplateProblem] = {}
    for node in ast.find_all((nodes.Name, nodes.Getattr)):
        if isinstance(node, nodes.Name) and node.name in undeclared:
            hint = template_words.suggestion(node.name, list(CONTEXT_FIELDS))
            reasons.setdefault(node.name, TemplateProblem(f"unknown variable '{node.name}'{hint}", node.lineno))
        elif isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            fields = CONTEXT_FIELDS.get(node.node.name)
            if fields and node.attr not in fields:
                dotted = f"{node.node.name}.{node.attr}"
                hint = template_words.suggestion(node.attr, sorted(fields), prefix=f"{node.node.name}.")
                reasons.setdefault(dotted, TemplateProblem(f"unknown field '{dotted}'{hint}", node.lineno))
    return [str(problem) for problem in sorted(reasons.values(), key=lambda p: p.line or 0)]


def _check(text: str, *, sms: bool = False) -> list[str]:
    try:
        reasons = _unknown_names(text)
    except (TemplateSyntaxError, template_rules.Refused) as error:
        return [str(_problem(error, text))]
    if reasons:
        return reasons
    try:
        render(text, sample_context(), sms=sms)
    except TemplateProblem as problem:
        return [str(problem)]
    return []


def validate(body: str, *, subject: str | None = None, sms: bool = False) -> list[str]:
    """Reasons a step body (and email subject) would fail to render or be too long; empty when it is fine."""
    if len(body) > MAX_SOURCE_CHARACTERS:
        reasons = [f"The message is longer than {MAX_SOURCE_CHARACTERS:,} characters."]
    else:
        reasons = ["The message is empty."] if not body.strip() else _check(body, sms=sms)
    if subject is not None:
        if not subject.strip():
            reasons.append("Subject: the subject is empty.")
        else:
            reasons += [f"Subject: {reason}" for reason in _check(subject)]
    return reasons
