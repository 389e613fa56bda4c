"""One site's slow webhook receivers do not delay another site's deliveries (issue 17, item 3).

Real processes (Redis, the API, one worker with its 4 delivery threads) and real receivers on
loopback ports: five receivers of one site that trickle their answer (each attempt runs into the
10 s deadline) with 20 deliveries waiting for them, and one healthy receiver of another site.
Before per-site lanes the healthy site's deliveries queued behind the slow ones: 0.2 s became
70 s in the probe. With lanes (2 threads at most per site, ``workers/lanes.py``) the bound is:
a delivery of another site never waits for the slow site's receivers, only for scoring and a
scheduler pass; the test holds each healthy delivery to 10 s after its comment was submitted,
under one slow receiver's deadline, on a loaded 2-core machine.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from tests import receivers
from tests.receivers import RawReceiver, Receiver

# The processes of the hostile-receiver tests, started afresh for this module.
from tests.system.test_webhook_receivers import Running, running, wait_for  # noqa: F401

pytestmark = pytest.mark.slow

# Under one slow attempt (10 s): a healthy delivery never waited for a slow receiver.
BOUND_SECONDS = 10.0


def test_slow_receivers_of_one_site_do_not_delay_another_sites_deliveries(
    running: Running,  # noqa: F811  (the imported fixture)
) -> None:
    running.site("slowsite")
    running.site("fastsite")
    with ExitStack() as stack:
        slow = [stack.enter_context(RawReceiver(receivers.trickle(3.0))) for _ in range(5)]
        fast = stack.enter_context(Receiver())
        for receiver in slow:
            running.hook("slowsite", receiver.url)
        running.hook("fastsite", fast.url)
        for _ in range(4):  # 4 comments x 5 receivers: 20 deliveries of 10 s each
            running.submit("slowsite")
        wait_for(lambda: sum(len(r.requests) for r in slow) >= 2, 60, "slow deliveries start")

        waits = []
        for number in range(3):
            start = time.monotonic()
            running.submit("fastsite", f"A healthy site's comment, number {number}.")
            wait_for(lambda n=number: len(fast.requests) > n, 60, "the healthy delivery")
            waits.append(time.monotonic() - start)
        # The slow site kept at most its lane's 2 threads busy meanwhile.
        in_flight = sum(len(r.requests) for r in slow)
    assert max(waits) < BOUND_SECONDS, waits
    assert in_flight < 20, in_flight
