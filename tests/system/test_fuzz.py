"""Fuzzing: schemathesis generates requests from ``/openapi.json`` and checks every answer.

For each operation it sends valid and invalid requests with a working key (a site key where a
site key is what the operation takes, the admin token elsewhere) and checks: no 5xx, every status
code is documented, every body matches the documented schema (errors included), keys are not
ignored. The number of examples is bounded so the whole run takes about a minute; raise
``MODERATION_FUZZ_EXAMPLES`` (requests per mode, over all operations) for a longer hunt.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis

# schemathesis loads its OpenAPI machinery lazily, inside the first test that reads a schema,
# deep in the stack, where pytest's assertion rewriting of it can trip the CPython 3.11.7 bug
# ("AST constructor recursion depth mismatch", seen on CI): load it here, at collection.
import schemathesis.specs.openapi.schemas
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from moderation import create_app

# Generated requests per generation mode, shared by all operations (at least 10 each).
BUDGET = int(os.environ.get("MODERATION_FUZZ_EXAMPLES", "500"))
# Operations a site key is for; everything else is tried with the admin token.
SITE_KEY_OPERATIONS = {
    ("POST", "/v1/comments"),
    ("GET", "/v1/comments/{comment_id}"),
    ("POST", "/v1/comments/{comment_id}/reports"),
}
# Operations whose parameters depend on each other (``min_score`` or ``sort=score`` need a
# ``label``), which OpenAPI cannot state for query parameters: a request valid by the document
# may still be a 422 there, so only that one check is skipped for them.
CROSS_FIELD_RULES = {
    ("GET", "/v1/review/queue"),
    # A policy's hold threshold may not be above its reject threshold (a 422), which no JSON
    # Schema of the request can state.
    ("POST", "/v1/sites"),
    ("PUT", "/v1/sites/{name}/policy"),
    ("PATCH", "/v1/sites/{name}/policy"),
    # A URL whose host is, or resolves to, an internal address ("http://0") is a 422 (no SSRF),
    # which no JSON Schema of a URL can state.
    ("POST", "/v1/sites/{name}/webhooks"),
    ("PATCH", "/v1/webhooks/{webhook_id}"),
    # ``until`` goes with ``suspend`` and no other action.
    ("POST", "/v1/sites/{site}/authors/{author}/actions"),
    # ``labels`` go with a rejection and no other action (issue 20).
    ("POST", "/v1/comments/{comment_id}/decision"),
    ("POST", "/v1/review/decisions"),
}


def fuzz(
    operation: Any, mode: GenerationMode, keys: Any, examples: int, key: str | None = None
) -> None:
    """Send ``examples`` generated requests to one operation with ``key`` and check every answer.

    Without ``key``: the key the operation is for (a site key or the admin token).
    """
    name = (operation.method.upper(), operation.path)
    key = key or ("blog" if name in SITE_KEY_OPERATIONS else "admin")
    excluded = [positive_data_acceptance] if name in CROSS_FIELD_RULES else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if mode is GenerationMode.POSITIVE and case.query:
            # A cursor is opaque: valid only as a previous page handed it out.
            case.query.pop("cursor", None)
        case.call_and_validate(headers=keys.headers(key), excluded_checks=excluded)

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): the positive run covers it.
        assert mode is GenerationMode.NEGATIVE


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_every_generated_request_as_documented(
    app: Any, app_config: dict[str, Any], keys: Any, mode: GenerationMode
) -> None:
    # ?wait= would hold each generated submission for a verdict no worker gives here.
    fuzzed = create_app({**app_config, "WAIT_MAX_MS": 10})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzzed)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:
        fuzz(operation, mode, keys, max(10, BUDGET // len(operations)))


# Every role's key, on every operation: a key of the wrong role must get a documented 4xx (401,
# 403, 404), never a 5xx, whatever the request.
ROLES = ["blog", "blog_moderator", "moderator", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_documented_answers_from_every_operation(
    app: Any, app_config: dict[str, Any], keys: Any, role: str
) -> None:
    from moderation.storage import Role

    keys.make("moderator", Role.MODERATE, None)
    fuzzed = create_app({**app_config, "WAIT_MAX_MS": 10})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzzed)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        fuzz(operation, GenerationMode.POSITIVE, keys, max(5, BUDGET // 4 // len(operations)), role)
