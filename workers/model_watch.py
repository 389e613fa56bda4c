"""Keep a worker's models on the versions the registry marks active, without a restart.

Each worker's ``WorkerContext`` holds one ``ModelWatch``. Before a job, :meth:`ModelWatch.current`
asks the database which versions are active (one small query, at most every ``interval``
seconds) and, when that differs from what the worker holds, loads the new versions' bytes through
the trusted-type loader and builds a new scorer. A failure to check or to load keeps the models
in hand: a worker never stops scoring because of a bad promotion or a database hiccup, and tries
again at the next check. The sites' active layers (``moderation.learning.site_layers``) are
checked in the same query and kept in :attr:`ModelWatch.layers`, by site id.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moderation.learning.site_layers import active_rows, as_stored, layer_site, load_layer
from moderation.learning.versions import active_fingerprint, active_models, ensure_baseline
from moderation.storage import db

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.scorer import Scorer
    from models.site_layer import SiteLayer

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
        # site id -> its active layer, and the (version, sha256) of each layer held.
        self.layers: dict[int, SiteLayer] = {}
        self.layer_versions: dict[str, tuple[str, str]] = {}

    def current(self, scorer: Scorer | None) -> Scorer | None:
        """The scorer to use for the next job: ``scorer``, or one over newly promoted versions."""
        now = time.monotonic()
        if scorer is not None and now - self.checked_at < self.interval:
            return scorer
        self.checked_at = now
        try:
            with db.transaction() as session:
                every = active_fingerprint(session)
                layers = {name: v for name, v in every.items() if layer_site(name) is not None}
                if layers != self.layer_versions:
                    self.load_layers(session, layers)
                active = {name: v for name, v in every.items() if name not in layers}
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

    def load_layers(self, session: Session, wanted: dict[str, tuple[str, str]]) -> None:
        """Hold the sites' active layers, loading only those not held already."""
        held = {layer.name: layer for layer in self.layers.values()}
        layers: dict[int, SiteLayer] = {}
        for row in active_rows(session, layers=True):
            site_id = layer_site(row.name)
            assert site_id is not None
            if self.layer_versions.get(row.name) == wanted.get(row.name) and row.name in held:
                layers[site_id] = held[row.name]
            else:
                layers[site_id] = load_layer(as_stored(row))
        logger.info("site layers: %s", {k: v.version for k, v in layers.items()})
        self.layers, self.layer_versions = layers, dict(wanted)

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
