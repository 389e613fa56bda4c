"""Per-site webhook lanes in a real Redis (issue 17, item 3): capacity, release, lapse."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from workers import lanes
from workers.lanes import SiteLanes


def test_a_lane_holds_per_site_places_and_other_sites_are_free(redis_url: str) -> None:
    lane = SiteLanes(Redis.from_url(redis_url), per_site=2)
    assert lane.acquire(1, "webhook-1") and lane.acquire(1, "webhook-2")
    assert not lane.acquire(1, "webhook-3")
    # Another site's lane is its own.
    assert lane.acquire(2, "webhook-4")
    lane.release(1, "webhook-1")
    assert lane.in_flight(1) == 1 and lane.acquire(1, "webhook-3")


def test_a_place_lapses_when_its_worker_died(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lane = SiteLanes(Redis.from_url(redis_url), per_site=1)
    monkeypatch.setattr(lanes, "HOLD_SECONDS", 0.2)
    assert lane.acquire(7, "webhook-dead")  # never released: its worker was killed
    assert not lane.acquire(7, "webhook-next")
    time.sleep(0.3)
    assert lane.acquire(7, "webhook-next")
