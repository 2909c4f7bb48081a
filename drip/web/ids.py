"""The one converter for ids in URLs: every `<int:...>` of every route and API path."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

from drip.domain import numbers
from drip.models.types import MAX_ID


class IdConverter(IntegerConverter):
    """A positive id no larger than MAX_ID; any other number is an id that exists nowhere: 404.

    Without the bound, an id above 2**63 reached the database driver and answered 500.
    """

    def __init__(
        self, url_map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        """The id, or NotFound: a ValidationError would let Werkzeug answer 405 when another
        method's rule has the same shape."""
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def init_app(app: Flask) -> None:
    """Make `int` mean IdConverter; must run before any blueprint adds its rules."""
    app.url_map.converters["int"] = IdConverter


def parse_id(raw: object) -> int | None:
    """An id from a query string or form field, or None when it is not one."""
    return numbers.parse_id(raw)
