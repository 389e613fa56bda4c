"""Exceptions raised by the moderation service; all derive from ModerationError."""

from __future__ import annotations


class ModerationError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(ModerationError):
    """A setting is missing or invalid; the service refuses to start."""


class NotFound(ModerationError):
    """A site, key or comment named on the command line does not exist."""


class Conflict(ModerationError):
    """The request contradicts stored state (for example an idempotency key reused)."""


class PromotionRefused(ModerationError):
    """A model version does worse than the active one on held-out feedback (or was not judged)."""


class InjectedFault(ModerationError):
    """Raised on purpose by the fault-injection hook of the tests (never in production)."""


class WebhookDeliveryError(ModerationError):
    """A receiver did not take a webhook delivery (no answer, or not 2xx); RQ retries it."""
