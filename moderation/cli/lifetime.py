"""``moderation up``'s hold on its children and on its state folder.

Children die with ``up``: each is started with a parent-death signal (Linux ``prctl``
``PR_SET_PDEATHSIG``, set between fork and exec, so redis-server gets it as well as the Python
children), so a ``kill -9`` of ``up`` ends the embedded Redis, the API and the workers instead
of leaving them serving. gunicorn's own workers follow their master, which checks its parent.

One ``up`` per state folder: ``up`` holds an exclusive ``flock`` on ``STATE_DIR/up.pid`` (with
its pid inside) for as long as it runs. The kernel drops the lock when the process ends, however
it ends, so a stale file never blocks a restart; a second ``up`` on the same folder is refused
with the first one's pid instead of starting a second Redis on the same socket.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys
from pathlib import Path

from moderation.exceptions import ConfigurationError

LOCK_NAME = "up.pid"
# linux/prctl.h
PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """In a forked child before exec: have the kernel send ``signum`` when the parent dies.

    SIGTERM, not SIGKILL: each child stops as on a clean stop (gunicorn drains, Redis exits), and
    every job is idempotent anyway. A parent that died before the call leaves the child adopted by
    init; the ``getppid`` check catches that race and exits at once.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        os._exit(1)
    if os.getppid() != parent:
        os._exit(1)


def child_setup() -> None:
    """The ``preexec_fn`` of every process ``up`` starts (``Popen`` calls it with no argument)."""
    die_with_parent(signal.SIGTERM)


class StateLock:
    """The exclusive hold of one ``up`` on its state folder (``up.pid``, flocked, with its pid)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> StateLock:
        """Take the lock or raise ConfigurationError naming the ``up`` that holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ConfigurationError(
                f"another `moderation up` (pid {holder}) is running with the state folder "
                f"{self.path.parent.resolve()}; stop it first, or give this one another folder "
                "(--state DIR or MODERATION_HOME)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (the process's end drops it too); the file stays, empty of meaning."""
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)
            self.fd = None
