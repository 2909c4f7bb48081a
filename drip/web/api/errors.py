"""API errors: always JSON `{"error": ..., "details": ...}` with a 4xx status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, current_app
from pydantic import ValidationError

from drip.web.api.schemas import ErrorOut, FieldProblem, RowProblem

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}


class ApiError(Exception):
    """An error answered to the caller as JSON."""

    def __init__(
        self, status: int, details: Any = None, *, error: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = ErrorOut(error=error or TITLES.get(status, "Error"), details=details)
        self.headers = dict(headers or {})
        super().__init__(self.body.error)


def not_found(what: str) -> ApiError:
    """A 404 that names what was looked for; another trainer's rows are not found either."""
    return ApiError(404, f"No {what} with this id.")


def field_name(location: Sequence[Any]) -> str:
    """("steps", 2, "offset") → "steps[2].offset"."""
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problems(error: ValidationError, *, skip: int = 0) -> list[FieldProblem]:
    """Each bad field of a pydantic error, named from `skip` parts into its location."""
    return [
        FieldProblem(field=field_name(e["loc"][skip:]) or "body", message=_message(e))
        for e in error.errors(include_url=False)
    ]


def invalid(error: ValidationError, what: str = "request body") -> ApiError:
    """A 422 listing every bad field (400 when the body is not JSON at all)."""
    if any(e["type"] == "json_invalid" for e in error.errors(include_url=False)):
        return ApiError(400, "The request body is not valid JSON.")
    return ApiError(422, problems(error), error=f"Invalid {what}")


def invalid_fields(errors: Mapping[str, str], what: str = "request body") -> ApiError:
    """A 422 from a service's {field: message} errors."""
    return ApiError(422, [FieldProblem(field=k, message=v) for k, v in errors.items()], error=f"Invalid {what}")


def invalid_rows(rows: Mapping[int, Mapping[str, str]]) -> ApiError:
    """A 422 listing each bad learner row; nothing was stored."""
    details = [RowProblem(index=i, errors=dict(errors)) for i, errors in sorted(rows.items())]
    noun = "learner is" if len(details) == 1 else "learners are"
    return ApiError(422, details, error=f"{len(details)} {noun} not valid; nothing was stored")


def render(error: ApiError) -> Response:
    """The JSON response for an ApiError."""
    response = current_app.response_class(error.body.model_dump_json(), error.status, mimetype="application/json")
    response.headers.update(error.headers)
    return response
