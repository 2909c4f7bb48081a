"""The table of API operations: each view with the models it validates with and answers.

Views register here with `@operation`; the blueprint adds a URL rule per entry and the OpenAPI
document is generated from the same entries, so what is documented is what is enforced.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError

from drip.web.api.errors import ApiError, invalid

MAX_BODY_BYTES = 2_000_000  # a thousand learners fit in a fraction of this
Explain = Callable[[ValidationError], "ApiError | None"]


@dataclass(frozen=True)
class Operation:
    """One method on one path: its view, summary and models."""

    method: str
    rule: str  # Flask rule under /api/v1, e.g. /sessions/<int:session_id>
    endpoint: str
    view: Callable[..., Response]
    summary: str
    description: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: Mapping[int, type[BaseModel]]
    errors: tuple[int, ...] = field(default=())
    form: Mapping | None = None  # a multipart/form-data body's JSON Schema (an upload), read by the view

    @property
    def path_params(self) -> list[str]:
        """Names of the integer ids in the path."""
        return re.findall(r"<int:(\w+)>", self.rule)


OPERATIONS: list[Operation] = []


def parse_body(model: type[BaseModel], explain: Explain | None = None) -> BaseModel:
    """The JSON body validated by `model`, or a 400/413/422 ApiError naming each bad field.

    `explain` may word a validation error its own way (enrolments list bad rows), or return None.
    """
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, f"Send at most {MAX_BODY_BYTES} bytes per request.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"Send at most {MAX_BODY_BYTES} bytes per request.")
    if not raw.strip():
        raise ApiError(400, "Send a JSON object in the request body.")
    try:
        return model.model_validate_json(_integral_floats(raw))
    except ValidationError as error:
        raise (explain and explain(error)) or invalid(error) from None


def _integral_floats(raw: bytes) -> bytes | str:
    """The body with 1.0 written as 1: JSON Schema counts it as an integer, so the document's integers accept it."""
    try:
        data = json.loads(raw, parse_float=lambda text: int(float(text)) if float(text).is_integer() else float(text))
    except (ValueError, RecursionError):
        return raw  # not JSON: the model says so in its own words
    return json.dumps(data)


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string validated by `model`, or a 422 naming each bad parameter."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise invalid(error, "query parameters") from None


def json_response(model: BaseModel, status: int) -> Response:
    """Serialise a response model."""
    return current_app.response_class(model.model_dump_json(), status, mimetype="application/json")


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    response: type[BaseModel],
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    also: Mapping[int, type[BaseModel]] | None = None,
    errors: tuple[int, ...] = (),
    explain: Explain | None = None,
    form: Mapping | None = None,
):
    """Register a view: its body and query are parsed with the given models and passed as keywords.

    The view returns a response model (or a (model, status) pair for the statuses in `also`).
    """
    responses = {status: response, **(also or {})}

    def register(view: Callable[..., BaseModel | tuple[BaseModel, int]]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(**path: int) -> Response:
            kwargs: dict = dict(path)
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body, explain)
            result = view(**kwargs)
            model, code = result if isinstance(result, tuple) else (result, status)
            if not isinstance(model, responses[code]):
                raise TypeError(f"{view.__name__} answered {type(model).__name__}, not {responses[code].__name__}")
            return json_response(model, code)

        OPERATIONS.append(
            Operation(
                method=method,
                rule=rule,
                endpoint=view.__name__,
                view=handler,
                summary=summary,
                description=(view.__doc__ or "").strip(),
                body=body,
                query=query,
                responses=responses,
                errors=errors,
                form=form,
            )
        )
        return handler

    return register
