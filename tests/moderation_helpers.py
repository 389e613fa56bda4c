"""Helpers shared by the moderator-side tests: submit a comment, decide on one."""

from __future__ import annotations

from typing import Any


def submit(client: Any, keys: Any, text: str, site: str = "blog", **fields: Any) -> str:
    """Submit a comment with the site's key; its id."""
    response = client.post(
        "/v1/comments", json={"name": "Reader", "text": text, **fields}, headers=keys.headers(site)
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def decide(
    client: Any,
    keys: Any,
    comment_id: str,
    action: str,
    moderator: str = "blog_moderator",
    **body: Any,
) -> dict[str, Any]:
    """A moderator's decision on a comment (``body``: reason, expected_status); the decision."""
    response = client.post(
        f"/v1/comments/{comment_id}/decision",
        json={"action": action, **body},
        headers=keys.headers(moderator),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()
