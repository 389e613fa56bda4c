"""``moderation up``'s supervisor: restart what crashed, with back-off, until a signal stops all.

Each part (the embedded Redis, the API server, each worker) is watched twice a second. One that
exited is logged and started again after a delay that doubles with each crash in a row (1 s,
2 s, 4 s ... at most 30 s; a part that ran a minute is forgiven its earlier crashes), while the
others keep running: a crashed worker does not take the API down. Only SIGINT (Ctrl-C), SIGTERM
or SIGHUP stop everything; that is a clean stop.

The child processes run in a process group of their own, so a Ctrl-C in the terminal reaches
``up`` alone and ``up`` stops them in order (workers, API, Redis last), rather than every process
getting the signal at once and ``up`` seeing its children die. Each child also gets a
parent-death signal (``cli/lifetime.py``): a ``kill -9`` of ``up`` takes them with it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Protocol

from moderation.cli.lifetime import child_setup

logger = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
# A part that ran this long before exiting starts again after the first delay.
STABLE_SECONDS = 60.0
POLL_SECONDS = 0.5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Part(Protocol):
    """Something ``up`` runs: it can be started, asked whether it still runs, and stopped."""

    name: str

    def start(self) -> object: ...

    @property
    def alive(self) -> bool: ...

    def stop(self) -> None: ...


class Program:
    """A ``moderation`` subcommand in a child process (``serve``, ``worker``)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Program:
        command = [sys.executable, "-m", "moderation", *self.args]
        # A parent-death signal: if `up` dies, even by kill -9, the child goes with it.
        self.process = subprocess.Popen(
            command, env=self.env, process_group=0, preexec_fn=child_setup
        )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> None:
        self.terminate()
        if self.process is not None:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Slot:
    """A part and its restart state."""

    part: Part
    started_at: float = 0.0
    crashes: int = 0
    due: float | None = None

    def check(self, now: float) -> None:
        """Schedule a restart if the part exited; start it if its restart is due."""
        if self.due is None and not self.part.alive:
            if now - self.started_at >= STABLE_SECONDS:
                self.crashes = 0
            delay = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2**self.crashes)
            self.crashes += 1
            self.due = now + delay
            logger.warning(
                "%s exited; restarting it in %.0f s (crash %d in a row)",
                self.part.name,
                delay,
                self.crashes,
            )
        elif self.due is not None and now >= self.due:
            self.due = None
            self.started_at = now
            try:
                self.part.start()
            except Exception:
                logger.exception("%s did not start", self.part.name)
            else:
                logger.warning("%s restarted", self.part.name)


class Stop(Exception):
    """A stop signal arrived."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def supervise(parts: list[Part]) -> None:
    """Keep ``parts`` (already started) running until a stop signal; then stop them, last first.

    Returns normally on a signal (a clean stop); the caller exits 0.
    """
    previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
    slots = [Slot(part, started_at=time.monotonic()) for part in parts]
    try:
        while True:
            for slot in slots:
                slot.check(time.monotonic())
            time.sleep(POLL_SECONDS)
    except Stop as stop:
        logger.info("%s: stopping", stop)
    finally:
        # A second Ctrl-C while stopping must not leave children behind.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stop_all(parts)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_all(parts: list[Part]) -> None:
    """SIGTERM to every program at once, then wait for each; the others (Redis) after them."""
    programs = [part for part in reversed(parts) if isinstance(part, Program)]
    for program in programs:
        program.terminate()
    for part in [*programs, *(part for part in reversed(parts) if not isinstance(part, Program))]:
        part.stop()
