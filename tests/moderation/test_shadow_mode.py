"""Shadow mode: the verdict is computed, stored and shown, and the comment published anyway."""

from __future__ import annotations

from typing import Any

from moderation.policy import decide, unscored
from tests.helpers import submit

TOXIC = {"toxicity": 0.9, "spam": 0.01}


def test_decide_in_shadow_mode_publishes_with_the_verdict_it_would_have_given() -> None:
    shadow = {"shadow": True, "banned_words": ["casino"], "suspect_words": ["bananas"]}
    held = decide(TOXIC, shadow, {"toxicity": 0.5})
    assert (held.status, held.reasons) == ("approved", ["shadow_held", "toxicity"])
    banned = decide({"spam": 0.1}, shadow, text="best casino online")
    assert (banned.status, banned.reasons, banned.words) == (
        "approved",
        ["shadow_rejected", "banned_word"],
        ["casino"],
    )
    assert decide({"spam": 0.1}, shadow).reasons == []  # nothing to shadow
    enforced = decide(TOXIC, {**shadow, "shadow": False}, {"toxicity": 0.5})
    assert (enforced.status, enforced.reasons) == ("held", ["toxicity"])
    # A comment no model could score is held whatever the mode: it is not decide()'s verdict.
    assert unscored().status == "held"


def test_the_policy_api_sets_and_reads_shadow_mode(client: Any, keys: Any) -> None:
    admin = keys.headers("admin")
    response = client.put("/v1/sites/blog/policy", json={"shadow": True}, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["policy"]["shadow"] is True
    read = client.get("/v1/sites/blog/policy", headers=keys.headers("blog_moderator")).get_json()
    assert read["effective"]["shadow"] is True
    patched = client.patch("/v1/sites/blog/policy", json={"shadow": False}, headers=admin)
    assert patched.get_json()["effective"]["shadow"] is False
    other = client.get("/v1/sites/shop/policy", headers=admin).get_json()
    assert other["effective"]["shadow"] is False  # the default


def test_shadow_mode_must_be_a_boolean(client: Any, keys: Any) -> None:
    for value in ("maybe", [True], {"on": 1}):
        response = client.put(
            "/v1/sites/blog/policy", json={"shadow": value}, headers=keys.headers("admin")
        )
        assert response.status_code == 422, value
        assert "shadow" in response.get_json()["errors"]["json"]
    moderator = client.put(
        "/v1/sites/blog/policy", json={"shadow": True}, headers=keys.headers("blog_moderator")
    )
    assert moderator.status_code == 403


def test_a_shadow_site_gets_its_comment_published_with_the_stored_verdict(
    client: Any, keys: Any, work: Any
) -> None:
    policy = {"shadow": True, "suspect_words": ["bananas"]}
    assert (
        client.put("/v1/sites/blog/policy", json=policy, headers=keys.headers("admin")).status_code
        == 200
    )
    comment_id = submit(client, keys, "I brought bananas to the picnic.")
    work()
    comment = client.get(
        f"/v1/comments/{comment_id}", headers=keys.headers("blog_moderator")
    ).get_json()
    assert comment["status"] == "approved" and comment["decided_by"] == "policy"
    assert comment["reasons"][:2] == ["shadow_held", "suspect_word"]
    assert [span["text"] for span in comment["explanations"]["suspect_word"]] == ["bananas"]
    assert comment["scores"]  # scored and stored as usual
    queue = client.get(
        "/v1/review/queue?status=approved&reason=shadow_held",
        headers=keys.headers("blog_moderator"),
    ).get_json()
    assert [item["id"] for item in queue["items"]] == [comment_id]
