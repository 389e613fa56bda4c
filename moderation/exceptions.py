"""Exceptions raised by the moderation service and its workers; all derive from ModerationError.

HTTP errors are not here: views answer them with ``flask_smorest.abort`` (``moderation.http.errors``
gives them their one JSON shape).
"""

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


class WebhookDeliveryError(ModerationError):
    """A receiver did not take a webhook delivery (no answer, or not 2xx); RQ retries it."""


class DestinationRefused(ModerationError):
    """An outbound request (a webhook) would reach an address it may not: loopback, private,
    link-local, multicast, unspecified or reserved (``moderation.destinations``)."""
