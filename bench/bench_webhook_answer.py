"""Measure what a receiver's huge answer costs a worker: peak memory and time of one delivery.

Run ``python bench/bench_webhook_answer.py [--mb 300]``. A receiver on a loopback port answers
every POST with a body of ``--mb`` megabytes. Each way of posting runs in a fresh process, whose
peak resident memory (``VmHWM``) is read before and after one POST:

- ``requests``: what the worker did before (``requests.post`` with ``timeout=(3, 10)``, then
  ``response.text[:200]`` for the log): the whole body is read and decoded;
- ``outbound``: ``workers.outbound.post`` (reads the status line, at most 4 KB, then hangs up).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import receivers  # noqa: E402
from tests.receivers import RawReceiver  # noqa: E402

CHILD = """
import json, sys, time
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
import requests
from workers import outbound
url, how = sys.argv[1], sys.argv[2]
before, started = peak_kb(), time.monotonic()
if how == "requests":
    requests.post(url, data=b"{}", timeout=(3, 10), allow_redirects=False).text[:200]
else:
    outbound.post(url, b"{}", {}, allow_private=True)
print(json.dumps({"how": how, "peak_growth_mb": round((peak_kb() - before) / 1024, 1),
                  "seconds": round(time.monotonic() - started, 2)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300, help="Size of the receiver's answer.")
    args = parser.parse_args()
    for how in ("requests", "outbound"):
        with RawReceiver(receivers.huge(args.mb * 2**20)) as big:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, big.url, how],
                capture_output=True,
                text=True,
                timeout=300,
                cwd=REPO,
            )
        print(done.stdout.strip() or json.dumps({"how": how, "error": done.stderr[-500:]}))


if __name__ == "__main__":
    main()
