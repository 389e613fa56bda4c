"""Keep a worker's models on the versions the registry marks active, without a restart.

Each worker's ``WorkerContext`` holds one ``ModelWatch``. Before a job, :meth:`ModelWatch.current`
asks the database which versions are active (one small query, at most every ``interval``
seconds) and, when that differs from what the worker holds, loads the new versions' bytes through
the trusted-type loader and builds a new scorer. A failure to check or to load keeps the models
in hand: a worker never stops scoring because of a bad promotion or a database hiccup, and tries
again at the next check.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moderation.learning.versions import active_fingerprint, active_models, ensure_baseline
from moderation.storage import db

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.scorer import Scorer

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5.0


def fingerprint(scorer: Scorer | None) -> dict[str, tuple[str, str]]:
    """name -> (version, sha256) of the models a scorer holds."""
    if scorer is None:
        return {}
    models = scorer.manifest.get("models", {})
    return {
        name: (version, models.get(name, {}).get("sha256", ""))
        for name, version in scorer.versions.items()
    }


class ModelWatch:
    """Checks the registry every ``interval`` seconds and swaps the scorer when it changed."""

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self.checked_at = float("-inf")
        # sha256 -> loaded artifact, so a promotion of one model reloads only that one.
        self.loaded: dict[str, Any] = {}

    def current(self, scorer: Scorer | None) -> Scorer | None:
        """The scorer to use for the next job: ``scorer``, or one over newly promoted versions."""
        now = time.monotonic()
        if scorer is not None and now - self.checked_at < self.interval:
            return scorer
        self.checked_at = now
        try:
            with db.transaction() as session:
                active = active_fingerprint(session)
                if not active or active == fingerprint(scorer):
                    return scorer
                fresh = self.build(session)
        except Exception as error:
            # A warning, not a traceback: while the database is down this repeats every check.
            logger.warning("cannot load the active model versions, keeping these: %r", error)
            return scorer
        logger.info("now scoring with %s (was %s)", fresh.versions, fingerprint(scorer))
        return fresh

    def build(self, session: Session) -> Scorer:
        """A scorer over the active versions, loading only the artifacts not loaded before."""
        from models.stored import build_scorer, load_artifact

        stored = active_models(session)
        self.loaded = {m.sha256: self.loaded.get(m.sha256) or load_artifact(m) for m in stored}
        return build_scorer(stored, self.loaded)

    def load(self, models_dir: str | Path | None) -> Scorer:
        """The worker's first scorer: the registry's active versions (adopting the shipped
        artifacts in ``models_dir`` as the baseline on first use), else the files themselves."""
        from models.artifacts import load_scorer

        try:
            with db.transaction() as session:
                ensure_baseline(session, Path(models_dir) if models_dir else None)
            scorer = self.current(None)
        except Exception:
            logger.exception("the model registry is unavailable; loading the model files")
            scorer = None
        return scorer if scorer is not None else load_scorer(models_dir)
