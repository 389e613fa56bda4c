"""Input limits every request passes before a view or a schema sees it.

One ``before_request`` check for the whole API, so no view can forget it:

- a header value with control characters (NUL, CR, LF, ...) → 400;
- a body larger than ``MAX_BODY_BYTES`` → 413 (checked on ``Content-Length`` before reading; a
  chunked body is read up to the limit by Werkzeug's ``MAX_CONTENT_LENGTH``, then refused);
- a body that is not ``application/json`` (or JSON in another charset than UTF-8) → 415, except
  the HTML forms of the moderator's page (``/moderate/``), whose views check their fields;
- a body that is not JSON, or not UTF-8 → 400;
- a PUT without a body → 422: a PUT replaces the whole resource, so an empty one (a client that
  forgot its body) would wipe every setting;
- a query parameter that ``/openapi.json`` does not list for the operation → 422 naming it;
- a string anywhere in the JSON body, the query string or the path that holds a NUL character or
  an unpaired surrogate (``"\\ud800"`` is valid JSON, yet no valid Unicode) → 422 naming the field.
  PostgreSQL cannot store NUL, UTF-8 cannot encode a lone surrogate; rejecting them here means no
  later layer (database driver, model, log line) ever sees one.

Everything else (types, lengths, unknown fields) is the schemas' work: 422 naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import abort
from werkzeug.routing import IntegerConverter, Map

from moderation.http.marks import OWN_PROTOCOL, is_marked

METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_MIMETYPE = "application/json"
# The moderator's page posts plain HTML forms; its script posts JSON like any API client.
PAGE_PREFIX = "/moderate/"
FORM_MIMETYPE = "application/x-www-form-urlencoded"
# Far deeper than any request schema; bounds the work (and the stack) spent on hostile bodies.
MAX_DEPTH = 32
# Integer ids are SQL INTEGER columns (32 bits on PostgreSQL).
MAX_DATABASE_INTEGER = 2**31 - 1
QUERY_PARAMETERS = "moderation.query_parameters"
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
HEADER_PROBLEM = "Must not contain control characters."
# <comment_id> or <int:webhook_id> in a Flask rule; {comment_id} in OpenAPI.
FLASK_PATH_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable text, or None when it is."""
    if "\x00" in value:
        return "Must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode (no unpaired surrogates)."
    return None


def bad_strings(value: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, problem) for every unacceptable string (or object key) in a parsed JSON value.

    Iterative, with a depth cap: a body of 60,000 nested brackets is valid JSON that a recursive
    walk would turn into a RecursionError (a 500).
    """
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if len(path) > MAX_DEPTH:
            abort(400, message=f"The body is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(item, str):
            if problem := text_problem(item):
                yield path, problem
        elif isinstance(item, dict):
            for name, child in item.items():
                if problem := text_problem(name):
                    yield (*path, repr(name)), problem
                else:
                    stack.append(((*path, name), child))
        elif isinstance(item, list):
            stack.extend(((*path, index), child) for index, child in enumerate(item))


def as_errors(found: Iterable[tuple[tuple[Any, ...], str]]) -> dict[Any, Any]:
    """Nest (path, problem) pairs the way marshmallow nests its messages: field → [message]."""
    errors: dict[Any, Any] = {}
    for path, problem in found:
        node = errors
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1] if path else "_schema", []).append(problem)
    return errors


def has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def check_body() -> Any:
    """413, 415 or 400 for a body the API cannot read; the parsed JSON otherwise."""
    limit = current_app.config["MAX_BODY_BYTES"]
    if request.content_length and request.content_length > limit:
        abort(413, message=f"The body is larger than {limit} bytes.")
    if request.mimetype != JSON_MIMETYPE:
        abort(
            415,
            message=f"Send the body as {JSON_MIMETYPE}.",
            errors={"headers": {"Content-Type": [f"Must be {JSON_MIMETYPE}."]}},
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        abort(
            415,
            message="JSON must be encoded as UTF-8.",
            errors={"headers": {"Content-Type": ["Charset must be utf-8."]}},
        )
    raw = request.get_data(cache=True)
    if len(raw) >= limit:
        # Werkzeug stops a chunked body (no Content-Length) at the limit without an error.
        abort(413, message=f"The body is larger than {limit} bytes.")
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        abort(400, message=f"The body is nested more than {MAX_DEPTH} levels deep.")
    except (UnicodeDecodeError, ValueError) as error:
        abort(400, message=f"The body is not valid JSON: {error}", errors={"json": ["Invalid."]})


def documented_query_parameters() -> dict[tuple[str, str], set[str]]:
    """(route, method) → the query parameters ``/openapi.json`` lists for that operation.

    Built once per app from the document itself, so the check cannot drift from what clients
    are told. Routes the document does not describe are absent (and not checked).
    """
    known = current_app.extensions.get(QUERY_PARAMETERS)
    if known is not None:
        return known
    # The app's flask-smorest Api (``moderation.extensions.api``), as flask-smorest records it.
    paths = {
        path: operations
        for entry in current_app.extensions["flask-smorest"]["apis"].values()
        for path, operations in entry["ext_obj"].spec.to_dict()["paths"].items()
    }
    known = {}
    for rule in current_app.url_map.iter_rules():
        documented = paths.get(FLASK_PATH_PARAMETER.sub(r"{\1}", rule.rule), {})
        shared = documented.get("parameters", [])
        for method in rule.methods or ():
            operation = documented.get(method.lower())
            if operation is not None:
                parameters = [*shared, *operation.get("parameters", [])]
                known[rule.rule, method] = {p["name"] for p in parameters if p["in"] == "query"}
    current_app.extensions[QUERY_PARAMETERS] = known
    return known


def unknown_query_parameters() -> dict[str, list[str]]:
    """422-style errors for query parameters the operation does not take.

    Unknown body fields are refused by the schemas; a query parameter with a typo
    (``?stauts=held``) would otherwise be dropped silently and the filter not applied.
    """
    if request.url_rule is None or not request.args:
        return {}
    allowed = documented_query_parameters().get((request.url_rule.rule, request.method))
    if allowed is None:
        return {}
    return {name: ["Unknown field."] for name in request.args if name not in allowed}


def check_headers() -> None:
    """400 for a header value with control characters (RFC 9110 allows only tab among them).

    Front-end servers usually refuse these already; the check keeps a NUL in User-Agent or
    Referer (which are stored) from reaching the database behind a lenient one.
    """
    bad = {name: [HEADER_PROBLEM] for name, value in request.headers if CONTROL.search(value)}
    if bad:
        abort(400, message="A header holds control characters.", errors={"headers": bad})


def page_form() -> bool:
    """An HTML form posted to the moderator's page (``moderation.web`` checks its fields)."""
    return request.path.startswith(PAGE_PREFIX) and request.mimetype == FORM_MIMETYPE


def check_request() -> None:
    """Refuse what no view can handle; see the module docstring for the rules.

    The foreign protocols (``moderation.compat``) read their own bodies (Akismet's are forms)
    and answer bad input in their own shapes; only the header check applies to them.
    """
    check_headers()
    if is_marked(OWN_PROTOCOL):
        return
    if request.method == "PUT" and not has_body():
        abort(422, message="A PUT needs a body.", errors={"json": {"_schema": ["Missing body."]}})
    errors: dict[str, Any] = {}
    body = (
        check_body()
        if request.method in METHODS_WITH_BODY and has_body() and not page_form()
        else None
    )
    if found := as_errors(bad_strings(body)):
        errors["json"] = found
    if found := as_errors(bad_strings(dict(request.args.lists()))) | unknown_query_parameters():
        errors["query"] = found
    if found := as_errors(bad_strings(request.view_args or {})):
        errors["path"] = found
    if errors:
        abort(422, message="The request has unknown or invalid fields.", errors=errors)


class DatabaseInteger(IntegerConverter):
    """``<int:...>`` in a route, up to the largest id an INTEGER column holds.

    A larger number matches no route (404) instead of overflowing the database driver (500).
    """

    def __init__(self, url_map: Map, *args: Any, max: int = MAX_DATABASE_INTEGER, **kwargs: Any):
        # mypy fears ``max`` twice; werkzeug's converters take their settings by keyword.
        super().__init__(url_map, *args, max=max, **kwargs)  # type: ignore[misc]


def init_app(app: Flask) -> None:
    """Install the request checks; call before blueprints are registered (for the converter)."""
    app.url_map.converters["int"] = DatabaseInteger
    app.before_request(check_request)
