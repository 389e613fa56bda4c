"""Per-site webhook lanes: at most ``per_site`` deliveries of one site in flight at once, across
every worker process, so one site's slow receivers cannot take every delivery thread.

A delivery thread asks for a place in its site's lane before sending (``acquire``) and gives it
back after (``release``). The lane is a Redis sorted set per site whose members are the job ids
in flight, each scored with the time its place lapses: a worker killed mid-delivery frees its
place after ``HOLD_SECONDS`` (longer than any delivery's 10 s deadline), never holding it for
good. A delivery whose site's lane is full is not sent: the thread puts it back on RQ's schedule
for ``BOUNCE_SECONDS`` later (no attempt counted, no retry spent) and takes the next job.

The bound this gives, with T delivery threads in all (``DELIVERY_THREADS`` x worker processes)
and lanes of ``per_site``: sites whose receivers hang hold at most ``per_site`` threads each, so
while fewer than T / ``per_site`` sites hang, a delivery of any other site never waits for them:
it waits only for the jobs queued ahead of it (a full lane's job costs a few milliseconds) and,
if it was bounced, one more scheduler pass (about a second).
"""

from __future__ import annotations

import time

from redis import Redis

# Longer than a delivery's deadline (workers.outbound, 10 s) with margin for the database.
HOLD_SECONDS = 30.0
BOUNCE_SECONDS = 1.0

# KEYS[1] the lane; ARGV: now, lapse time of a new place, capacity, holder, key TTL (seconds).
ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def lane_key(site_id: int) -> str:
    return f"moderation:webhook-lane:{site_id}"


class SiteLanes:
    """The lanes of every site, in the Redis all workers share."""

    def __init__(self, connection: Redis, per_site: int) -> None:
        self.connection = connection
        self.per_site = max(1, per_site)
        self._acquire = connection.register_script(ACQUIRE)

    def acquire(self, site_id: int, holder: str) -> bool:
        """Take a place in the site's lane for ``holder`` (a job id); False if it is full."""
        now = time.time()
        taken = self._acquire(
            keys=[lane_key(site_id)],
            args=[now, now + HOLD_SECONDS, self.per_site, holder, int(HOLD_SECONDS) + 1],
        )
        return bool(taken)

    def release(self, site_id: int, holder: str) -> None:
        self.connection.zrem(lane_key(site_id), holder)

    def in_flight(self, site_id: int) -> int:
        """Places taken now (lapsed ones not counted)."""
        return int(self.connection.zcount(lane_key(site_id), time.time(), "+inf"))
