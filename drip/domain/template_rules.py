"""What a step body may contain: names, filters, `if`, loops over the given lists, and nothing that computes.

Checked on the parsed template before it ever runs, so a body cannot spin the CPU or build a
huge string: no calls, no arithmetic, no `set` (doubling a variable line by line is exponential),
no macros or includes, loops nested at most twice over lists the context or the body gives.
"""

from __future__ import annotations

from jinja2 import nodes

SAFE_FILTERS = frozenset(
    {
        "capitalize",
        "count",
        "d",
        "default",
        "e",
        "escape",
        "first",
        "join",
        "last",
        "length",
        "lower",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "upper",
        "wordcount",
    }
)
SAFE_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "sequence", "eq", "ne", "in"})
MAX_LOOP_DEPTH = 2
MAX_FILTER_NUMBER = 10_000  # e.g. truncate(...): a length, not a way to pad the output
MAX_LITERAL_ITEMS = 50  # a list written in the body: two nested loops over it stay small

_PLAIN = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Getattr,
    nodes.Getitem,
    nodes.If,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.CondExpr,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
)
# The words a trainer sees for what the sandbox refuses.
_NAMES = {
    nodes.Call: "calling a function or method",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "macros",
    nodes.CallBlock: "{% call %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% import %}",
    nodes.Extends: "{% extends %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.With: "{% with %}",
    nodes.BinExpr: "arithmetic",
    nodes.UnaryExpr: "arithmetic",
    nodes.Slice: "slices",
    nodes.Block: "{% block %}",
}


class Refused(ValueError):
    """A construct a message may not use, with the line it is on."""

    def __init__(self, what: str, line: int | None) -> None:
        self.what, self.line = what, line
        super().__init__(what)


def _refuse(node: nodes.Node, what: str | None = None) -> Refused:
    label = what or next((name for kind, name in _NAMES.items() if isinstance(node, kind)), type(node).__name__)
    return Refused(label, getattr(node, "lineno", None))


def _check_filter(node: nodes.Filter | nodes.Test, allowed: frozenset[str], kind: str) -> None:
    if node.name not in allowed:
        raise _refuse(node, f"the {kind} '{node.name}'")
    for arg in [*node.args, *(keyword.value for keyword in node.kwargs)]:
        if not isinstance(arg, nodes.Const):
            raise _refuse(arg, f"a {kind} argument that is not a plain value")
        if isinstance(arg.value, (int, float)) and abs(arg.value) > MAX_FILTER_NUMBER:
            raise _refuse(arg, f"a {kind} argument above {MAX_FILTER_NUMBER}")
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise _refuse(node, f"a {kind} with * or ** arguments")


def _check(node: nodes.Node, loops: int) -> None:
    if isinstance(node, nodes.For):
        if loops >= MAX_LOOP_DEPTH:
            raise _refuse(node, f"loops nested more than {MAX_LOOP_DEPTH} deep")
        if node.recursive:
            raise _refuse(node, "recursive loops")
        if not isinstance(node.iter, (nodes.Name, nodes.Getattr, nodes.List, nodes.Tuple)):
            raise _refuse(node.iter, "a loop over anything but a given list")
        if isinstance(node.iter, (nodes.List, nodes.Tuple)) and len(node.iter.items) > MAX_LITERAL_ITEMS:
            raise _refuse(node.iter, f"a loop over more than {MAX_LITERAL_ITEMS} written items")
        _check(node.iter, loops)
        for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
            _check(child, loops + 1)
        return
    if isinstance(node, nodes.Filter):
        _check_filter(node, SAFE_FILTERS, "filter")
    elif isinstance(node, nodes.Test):
        _check_filter(node, SAFE_TESTS, "test")
    elif isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
        raise _refuse(node, "an index that is not a plain value")
    elif not isinstance(node, _PLAIN):
        raise _refuse(node)
    for child in node.iter_child_nodes():
        _check(child, loops)


def check(ast: nodes.Template) -> None:
    """Raise Refused for the first construct a message may not use."""
    _check(ast, 0)
