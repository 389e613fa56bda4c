"""What a worker process holds for its jobs: its settings and its models, in one object.

RQ calls job functions with ids only, so the jobs find the worker's ``WorkerContext`` through
``current()``. ``workers.worker`` builds one from the settings and activates it before the first
job; a job run anywhere else (a test's in-process worker, ``rq worker`` started by hand) gets one
built from the environment on first use, with the shipped models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import get_current_job

from moderation import webhooks
from workers.model_watch import ModelWatch

if TYPE_CHECKING:
    from models.scorer import Scorer

logger = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    """A worker's settings and models; the scorer is swapped between jobs on a promotion."""

    max_attempts: int = 3
    # Derives webhook signing secrets (moderation.webhooks).
    secret_key: str = ""
    # Whether webhooks may reach loopback and private networks (moderation.destinations).
    webhooks_allow_private: bool = False
    scorer: Scorer | None = None
    watch: ModelWatch = field(default_factory=ModelWatch)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WorkerContext:
        return cls(
            max_attempts=config["MAX_SCORE_ATTEMPTS"],
            secret_key=config["SECRET_KEY"],
            webhooks_allow_private=config["WEBHOOKS_ALLOW_PRIVATE"],
            watch=ModelWatch(interval=config["MODEL_CHECK_SECONDS"]),
        )

    def load_models(self, models_dir: str | None = None) -> Scorer:
        """Load the registry's active versions (or the files in ``models_dir``) once."""
        self.scorer = self.watch.load(models_dir)
        # The language gate runs before the models on every comment: load its detector now too.
        from models import language

        language.load()
        logger.info("models loaded: %s", self.scorer.versions)
        return self.scorer

    def model(self) -> Scorer:
        """The scorer for this job, loading the shipped models if none was loaded yet."""
        if self.scorer is None:
            from models.artifacts import load_scorer

            self.scorer = load_scorer()
        return self.scorer

    def for_site(self, scorer: Scorer, site_id: int) -> Scorer:
        """The scorer for one site's comment: the base with the site's active layer on top, if
        it has one and ``scorer`` is the base (English) one; else ``scorer`` itself."""
        layer = self.watch.layers.get(site_id)
        if layer is None or scorer is not self.scorer:
            return scorer
        from models.site_layer import LayeredScorer

        return LayeredScorer(scorer, layer)

    def refresh(self) -> None:
        """Pick up a promoted model version: between jobs, never in the middle of one."""
        self.scorer = self.watch.current(self.scorer)


def job_connection() -> Redis | None:
    """The Redis connection of the running job, if any (for ``webhooks.install``)."""
    job = get_current_job()
    return job.connection if job is not None else None


_current: WorkerContext | None = None


def activate(context: WorkerContext) -> WorkerContext | None:
    """Make ``context`` the one jobs in this process use; return the one it replaces.

    Webhook deliveries recorded by a job are then enqueued on the job's Redis once its
    transaction commits.
    """
    global _current
    webhooks.install(job_connection)
    previous, _current = _current, context
    return previous


def current() -> WorkerContext:
    """The active context, or one built from the environment's settings on first use."""
    if _current is None:
        from moderation import config as settings

        activate(WorkerContext.from_config(settings.load()))
    assert _current is not None
    return _current
