"""What ``/openapi.json`` says beyond the schemas: API-wide errors, security, text and key rules.

The checks of ``moderation.http`` (inputs, auth, cors, limits) run for every operation, so the
answers they give are documented here once rather than on every view; views document only what
they alone answer (such as 404 or 409) with ``alt_response``. The aim is a document precise
enough that a generated request it calls valid is accepted and one it calls invalid is refused
(``tests/system/test_fuzz.py`` holds it to that).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask_smorest.spec.plugins import integerconverter2paramschema

from moderation.http.inputs import DatabaseInteger

# Answers every operation under /v1/ may give: no key, not allowed, too many requests, no database.
KEYED_ERRORS = (401, 403, 429, 503)
# Answers an operation that reads a JSON body may give.
BODY_ERRORS = (400, 413, 415, 422)
SECURITY_SCHEME = "bearerAuth"
# The documented form of the text rule of http/inputs.py (JSON Schema cannot say "no unpaired
# surrogates"; generators do not make them in valid data anyway).
NO_NUL_PATTERN = "^[^\\u0000]*$"


class ErrorResponses(BasePlugin):
    """Add the API-wide error answers and the bearer security requirement to each operation."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        for operation in (operations or {}).values():
            # Every operation: malformed headers (400), unknown or non-Unicode query text (422).
            codes: list[int] = [400, 422]
            if path and path.startswith("/v1/"):
                codes += KEYED_ERRORS
                operation.setdefault("security", [{SECURITY_SCHEME: []}])
            if "requestBody" in operation:
                codes += BODY_ERRORS
            if rule is not None and rule.arguments:
                codes += (404, 422)
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(str(code), HTTPStatus(code).name)


def text_rule(converter: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    """Every string excludes NUL (unless a stricter pattern of its own says so already)."""
    if isinstance(field, ma.fields.String) and "pattern" not in ret:
        return {"pattern": NO_NUL_PATTERN}
    return {}


def dict_key_rule(converter: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    """A Dict with a validated key field documents its keys (``propertyNames``, OpenAPI 3.1)."""
    if isinstance(field, ma.fields.Dict) and field.key_field is not None:
        return {"propertyNames": converter.field2property(field.key_field)}
    return {}


def document(api: Any) -> None:
    """Register the rules above on a flask-smorest Api (from its ``_init_spec``)."""
    api.ma_plugin.converter.add_attribute_function(text_rule)
    api.ma_plugin.converter.add_attribute_function(dict_key_rule)
    api.flask_plugin.register_converter(DatabaseInteger, integerconverter2paramschema)
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "A site key or moderator token."},
    )
