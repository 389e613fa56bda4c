"""GET /v1/stats: volumes, the oldest held comment and overturn rates, scoped to the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from moderation.policy import DEFAULT_POLICY
from tests.helpers import decide, submit

# Verdicts that depend only on the words, whatever the models score: banned -> rejected,
# suspect -> held, anything else approved.
NEVER_BY_SCORE = {label: {"hold": 1.0, "reject": None} for label in DEFAULT_POLICY["thresholds"]}
WORDS_ONLY = {
    "thresholds": NEVER_BY_SCORE,
    "banned_words": ["moron"],
    "suspect_words": ["crypto"],
}
# Holds every comment for spam.
ALL_SPAM = {"thresholds": {**NEVER_BY_SCORE, "spam": {"hold": 0.0, "reject": None}}}


def get_stats(client: Any, keys: Any, key: str = "admin", **query: Any) -> dict[str, Any]:
    response = client.get("/v1/stats", query_string=query, headers=keys.headers(key))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_stats_count_volumes_and_overturns(client: Any, keys: Any, work: Any) -> None:
    for site, policy in (("blog", WORDS_ONLY), ("shop", ALL_SPAM)):
        response = client.put(
            f"/v1/sites/{site}/policy", json=policy, headers=keys.headers("admin")
        )
        assert response.status_code == 200, response.get_json()
    suspect = [submit(client, keys, f"Is crypto a good idea, part {n}?") for n in range(4)]
    banned = [submit(client, keys, f"What a moron, take {n}.") for n in range(2)]
    plain = [submit(client, keys, f"Thanks for the article, note {n}.") for n in range(4)]
    shop = [
        submit(client, keys, f"Does it ship abroad, question {n}?", site="shop") for n in range(2)
    ]
    work()
    decide(client, keys, suspect[0], "approve")  # overturned hold
    decide(client, keys, suspect[1], "reject")  # confirmed hold
    decide(client, keys, suspect[2], "approve")  # approved first...
    decide(client, keys, suspect[2], "reject")  # ...the last decision counts
    decide(client, keys, banned[0], "approve")  # overturned rejection
    decide(client, keys, plain[0], "spam")  # overturned approval
    decide(client, keys, plain[1], "approve")  # confirmed approval
    decide(client, keys, shop[0], "approve", "shop_moderator")  # overturned spam hold

    blog = get_stats(client, keys, "blog_moderator")
    assert blog["total"] == 10
    assert blog["by_status"] == {"held": 1, "approved": 5, "rejected": 4}
    assert blog["by_reason"] == {"suspect_word": 1, "banned_word": 1, "spam": 1}
    assert blog["oldest_held"]["id"] == suspect[3] and blog["oldest_held"]["age_seconds"] >= 0
    automatic = blog["automatic"]
    assert automatic["by_verdict"] == {
        "approved": {"decided": 4, "reviewed": 2, "overturned": 1, "overturn_rate": 0.5},
        "held": {"decided": 4, "reviewed": 3, "overturned": 1, "overturn_rate": 0.3333},
        "rejected": {"decided": 2, "reviewed": 1, "overturned": 1, "overturn_rate": 1.0},
    }
    assert automatic["by_reason"] == {
        "banned_word": {"decided": 2, "reviewed": 1, "overturned": 1, "overturn_rate": 1.0},
        "suspect_word": {"decided": 4, "reviewed": 3, "overturned": 1, "overturn_rate": 0.3333},
    }

    # The admin sees every site; a site named narrows it; each key sees only its own sites.
    everything = get_stats(client, keys)
    assert everything["total"] == 12
    spam = everything["automatic"]["by_reason"]["spam"]
    assert spam == {"decided": 2, "reviewed": 1, "overturned": 1, "overturn_rate": 1.0}
    assert get_stats(client, keys, site="shop")["total"] == 2
    denied = client.get(
        "/v1/stats", query_string={"site": "shop"}, headers=keys.headers("blog_moderator")
    )
    assert denied.status_code == 404
    assert client.get("/v1/stats", headers=keys.headers("blog")).status_code == 403


def test_stats_window_and_empty_figures(client: Any, keys: Any, work: Any) -> None:
    submit(client, keys, "A first comment.")
    work()
    before = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    empty = get_stats(client, keys, until=before)
    assert empty["total"] == 0 and empty["by_status"] == {} and empty["oldest_held"] is None
    assert empty["automatic"] == {"by_verdict": {}, "by_reason": {}}
    assert empty["until"].startswith(before[:19])
    recent = get_stats(client, keys, since=before)
    assert recent["total"] == 1
    verdict = next(iter(recent["automatic"]["by_verdict"].values()))
    # Nobody has looked at it yet: no rate rather than a rate of zero.
    assert verdict == {"decided": 1, "reviewed": 0, "overturned": 0, "overturn_rate": None}
    naive = client.get(
        "/v1/stats", query_string={"since": "2026-01-01T00:00:00"}, headers=keys.headers("admin")
    )
    assert naive.status_code == 422
