"""The fault tests' worker hook: a comment whose text holds a marker breaks the scorer.

A worker started with ``MODERATION_ENV=testing`` and
``MODERATION_TEST_WORKER_HOOK=tests.system.poison:install`` calls ``install`` with its
``WorkerContext`` once the models are loaded; the marker comes from ``MODERATION_FAULT_POISON``.
Scoring a comment that contains it raises, as a broken model would, so the test sees the retries
and the fail-closed hold of a real process. Nothing of this is in the production scoring path.
"""

from __future__ import annotations

import os
from typing import Any

from moderation.exceptions import ModerationError

HOOK = "tests.system.poison:install"
MARKER_VARIABLE = "MODERATION_FAULT_POISON"


class InjectedFault(ModerationError):
    """Raised on purpose by the poisoned scorer (never in production)."""


class PoisonedScorer:
    """A scorer that raises on comments holding ``marker`` and is the wrapped scorer otherwise."""

    def __init__(self, scorer: Any, marker: str) -> None:
        self.scorer = scorer
        self.marker = marker

    def score(self, comments: list[dict[str, Any]]) -> list[dict[str, float]]:
        if any(self.marker in comment["text"] for comment in comments):
            raise InjectedFault(f"poison marker {self.marker!r} in the comment")
        return self.scorer.score(comments)

    def __getattr__(self, name: str) -> Any:
        # Versions, thresholds, manifest, explain: the model watch and the jobs read the real ones.
        return getattr(self.scorer, name)


def install(context: Any) -> None:
    """Wrap the context's scorer (called by ``workers.worker.prepare``)."""
    context.scorer = PoisonedScorer(context.scorer, os.environ[MARKER_VARIABLE])
