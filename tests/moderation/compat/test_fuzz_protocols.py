"""Fuzzing the drop-in protocols with every role (issue 16): no hostile body is ever a 500.

The protocols are not in ``/openapi.json`` (their schemas are Google's, Akismet's and Coral's), so
schemathesis cannot generate for them: hypothesis does, from the shapes the protocols take
(Perspective's and Coral's JSON, Akismet's forms and JSON), mixed with arbitrary JSON values,
strings with NULs and lone surrogates, and deep nesting; each request goes with a key of every
role (none, unknown, submit, moderate, admin, Akismet) and Coral's with and without a valid
signature. No worker runs: a request that would be stored answers "no verdict" (503 for
Perspective and Akismet, ``SYSTEM_WITHHELD`` for Coral) after ``WAIT_MAX_MS``, set tiny here.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from moderation.compat.coral_protocol import sign
from moderation.compat.coral_secrets import add_secret
from moderation.storage import Role, Site, db
from tests.moderation.compat.conftest import BLOG, site_key

EXAMPLES = int(os.environ.get("MODERATION_FUZZ_EXAMPLES", "150"))
SECRET = "ems_" + "3f" * 24
# Strings that tripped parsers or databases before: NUL, a lone surrogate, markup, a URL scheme.
NASTY = st.sampled_from(["\x00", "\ud83d", "<b></b>", "javascript:alert(1)", "[" * 40, "é" * 3])
TEXT = st.one_of(
    st.text(max_size=40), NASTY, st.builds(lambda a, b: a + b, st.text(max_size=10), NASTY)
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
PERSPECTIVE = st.fixed_dictionaries(
    {
        "comment": st.fixed_dictionaries(
            {"text": TEXT}, optional={"type": st.sampled_from(["HTML", "PLAIN_TEXT", "X"])}
        )
    },
    optional={
        "requestedAttributes": st.dictionaries(
            st.sampled_from(["TOXICITY", "SPAM", "NOPE"]), st.just({}) | JSON, max_size=2
        ),
        "languages": st.lists(TEXT, max_size=2) | JSON,
        "doNotStore": st.booleans() | JSON,
        "spanAnnotations": st.booleans(),
        "clientToken": TEXT,
        "attributeScores": st.dictionaries(st.sampled_from(["TOXICITY", "X"]), JSON, max_size=2),
        "context": JSON,
    },
)
AKISMET_FIELDS = st.dictionaries(
    st.sampled_from(["blog", "user_ip", "comment_content", "comment_author", "comment_author_url",
                     "permalink", "guid", "from", "comment_type", "recheck_reason", "user_role"]),
    TEXT, max_size=6,
)  # fmt: skip
CORAL = st.fixed_dictionaries(
    {"action": st.sampled_from(["NEW", "EDIT", "X"]) | JSON},
    optional={
        "comment": st.fixed_dictionaries(
            {}, optional={"body": TEXT | JSON, "parentID": TEXT | st.none()}
        ),
        "author": JSON, "story": JSON,
        "type": st.sampled_from(["COMMENT_LEFT_MODERATION_QUEUE", "COMMENT_CREATED"]) | TEXT,
        "id": TEXT, "createdAt": TEXT, "data": JSON,
    },
)  # fmt: skip
ROLES = ("none", "unknown", "submit", "moderate", "admin", "akismet")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WAIT_MAX_MS": 10}


@pytest.fixture
def role_keys(app: Any, keys: Any) -> dict[str, str | None]:
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        add_secret(session, site, SECRET, app.config["SECRET_KEY"])
    return {
        "none": None,
        "unknown": "abcdefghijkl",
        "submit": keys.plain["blog"],
        "moderate": keys.plain["blog_moderator"],
        "admin": keys.plain["admin"],
        "akismet": site_key("blog", Role.AKISMET),
    }


def encoded(body: Any) -> bytes:
    try:
        return json.dumps(body).encode()
    except (TypeError, ValueError):
        return b"{}"


def assert_no_server_error(response: Any, what: str) -> None:
    # 503 is the protocols' "no verdict in time" (no worker runs here); anything else 5xx is a bug.
    assert response.status_code < 500 or response.status_code == 503, (what, response.get_data())


FUZZ = settings(
    max_examples=EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


@FUZZ
@given(
    body=PERSPECTIVE | JSON,
    role=st.sampled_from(ROLES),
    suggest=st.booleans(),
    kind=st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1"]),
)
def test_perspective(
    client: Any, role_keys: Any, body: Any, role: str, suggest: bool, kind: str
) -> None:
    key = role_keys[role]
    path = "/v1alpha1/comments:" + ("suggestscore" if suggest else "analyze")
    path += f"?key={key}" if key else ""
    response = client.post(path, data=encoded(body), content_type=kind)
    assert_no_server_error(response, path)
    assert "error" in response.get_json() or response.status_code == 200


@FUZZ
@given(fields=AKISMET_FIELDS, role=st.sampled_from(ROLES), as_json=st.booleans(),
       call=st.sampled_from(["verify-key", "comment-check", "submit-spam", "submit-ham",
                             "get-subscription", "get-stats"]))  # fmt: skip
def test_akismet(
    client: Any, role_keys: Any, fields: dict[str, str], role: str, as_json: bool, call: str
) -> None:
    key = role_keys[role]
    fields = {"blog": BLOG, **fields, **({"api_key": key, "key": key} if key else {})}
    if as_json:
        response = client.post(
            f"/1.1/{call}", data=encoded(fields), content_type="application/json"
        )
    else:
        clean = {name: value.encode("utf-8", "surrogatepass") for name, value in fields.items()}
        response = client.post(f"/1.1/{call}", data=clean)
    assert_no_server_error(response, call)


@FUZZ
@given(
    body=CORAL | JSON,
    signed=st.booleans(),
    events=st.booleans(),
    raw=st.sampled_from([b"", b"[" * 5000, None]),
)
def test_coral(
    client: Any, role_keys: Any, body: Any, signed: bool, events: bool, raw: bytes | None
) -> None:
    data = encoded(body) if raw is None else raw
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Coral-Signature"] = sign(SECRET, data)
    path = "/v1/integrations/coral/" + ("events" if events else "moderate") + "?site=blog"
    response = client.post(path, data=data, headers=headers)
    assert_no_server_error(response, path)
    if not signed:
        assert response.status_code == 401
