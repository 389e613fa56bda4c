"""Rate limits per client IP and per key, counted in Redis so every API process shares them.

Three limits, all from settings (``limits`` syntax, e.g. ``60 per minute``):

- ``RATE_LIMIT_SUBMIT``: submissions and readers' reports per client IP, together (one reader,
  or one abuser of a site key that is public in a comment form);
- ``RATE_LIMIT_DEFAULT``: requests per client IP, over all endpoints together;
- ``RATE_LIMIT_KEY``: requests per key, over all endpoints together (a leaked or runaway key).
  A blueprint whose key is not a bearer token (the drop-in protocols: ``?key=``, Akismet's
  ``api_key`` or host name) names where its key is with :func:`find_keys_with`; a site's backend
  sends every call from one IP, so for it this is the limit that matters.

The client IP is ``request.remote_addr`` (an IPv6 client counted by its /64), which ``ProxyFix``
rewrites only when ``PROXY_HOPS`` is set, so a spoofed ``X-Forwarded-For`` does not buy a fresh
bucket. Health checks are not limited.

Limits fail open: a rate limit must never turn an accepted comment into an error (DESIGN.md: Redis
down still means 202). When Redis cannot be reached flask-limiter falls back to counting in each
process's memory (looser, but still a limit) and probes Redis again with back-off; any other
storage error is logged and the request goes through.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from limits import parse_many

from moderation.exceptions import ConfigurationError
from moderation.http.auth import bearer_token
from moderation.http.marks import UNLIMITED, is_marked
from moderation.keys import hash_key
from moderation.privacy import keyed_hash

SUBMIT_ENDPOINT = "comments.Comments"
# The other site-key write that a reader's browser sends, counted like a submission.
REPORT_ENDPOINT = "actions.CommentReports"
# Seconds a Redis call of the limiter may take before the request goes on without it.
STORAGE_TIMEOUT_SECONDS = 0.15


def client_network(address: str | None) -> str | None:
    """The address a limit counts: an IPv4 address, or the /64 an IPv6 address is in.

    One IPv6 client (a home, a server) routinely holds a whole /64 and may pick a fresh address
    for every request; counting addresses would give it 2**64 buckets.
    """
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_ip() -> str:
    """The client's network as its keyed hash: no address in clear in Redis or in limit logs."""
    secret_key = current_app.config["SECRET_KEY"]
    return (keyed_hash(client_network(request.remote_addr), secret_key) or "unknown")[:32]


KEY_FINDERS = "moderation.key_finders"


def find_keys_with(app: Flask, blueprint: Blueprint, finder: Callable[[], str | None]) -> None:
    """Count ``blueprint``'s requests per key by the key ``finder`` returns (None: no key)."""
    app.extensions.setdefault(KEY_FINDERS, {})[blueprint.name] = finder


def presented_token() -> str | None:
    """The key the request presents, where its blueprint keeps it (a bearer token by default)."""
    if "limit_token" not in g:
        finder = current_app.extensions.get(KEY_FINDERS, {}).get(request.blueprint)
        g.limit_token = finder() if finder is not None else bearer_token()
    return g.limit_token


def key_identity() -> str:
    """The presented key's hash (never the key itself, which must not reach Redis)."""
    token = presented_token()
    return hash_key(token)[:32] if token else ""


def is_exempt() -> bool:
    return is_marked(UNLIMITED)


def is_not_submission() -> bool:
    return request.endpoint not in (SUBMIT_ENDPOINT, REPORT_ENDPOINT) or request.method != "POST"


def has_no_key() -> bool:
    return presented_token() is None


def setting(name: str) -> Any:
    return lambda: current_app.config[name]


def build_limiter() -> Limiter:
    """A limiter with the three limits (``moderation.extensions.limiter``), bound by ``init_app``.

    The limits read the app's settings when a request comes, so one limiter serves any app.
    """
    return Limiter(
        client_ip,
        application_limits=[
            ApplicationLimit(
                setting("RATE_LIMIT_SUBMIT"),
                key_function=client_ip,
                scope="submit-ip",
                exempt_when=is_not_submission,
            ),
            ApplicationLimit(
                setting("RATE_LIMIT_DEFAULT"),
                key_function=client_ip,
                scope="ip",
                exempt_when=is_exempt,
            ),
            ApplicationLimit(
                setting("RATE_LIMIT_KEY"),
                key_function=key_identity,
                scope="key",
                exempt_when=lambda: is_exempt() or has_no_key(),
            ),
        ],
        strategy="sliding-window-counter",
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix="moderation",
    )


def check_settings(config: dict[str, Any]) -> None:
    for name in ("RATE_LIMIT_SUBMIT", "RATE_LIMIT_DEFAULT", "RATE_LIMIT_KEY"):
        try:
            parse_many(config[name])
        except ValueError as error:
            raise ConfigurationError(
                f"MODERATION_{name}={config[name]!r} is not a rate limit such as '60 per minute'"
            ) from error


def retry_after_seconds() -> int:
    """Seconds until the breached limit lets a request through again (at least 1)."""
    # flask-limiter lists the app's limiters here: the one of moderation.extensions.
    breached = next(iter(current_app.extensions["limiter"])).current_limit
    try:
        return max(1, math.ceil(breached.window[0] - time.time())) if breached else 1
    except Exception:  # the storage went away between the breach and now
        return 1


def init_app(app: Flask, limiter: Limiter) -> None:
    """Count in the app's Redis; without Redis (or with limits disabled) limit nothing."""
    check_settings(app.config)
    redis = app.extensions["redis"]
    app.config["RATELIMIT_ENABLED"] = bool(app.config["RATE_LIMIT_ENABLED"] and redis is not None)
    if redis is not None:
        # Reuse the app's connection settings (a Unix socket for the embedded server, TLS, ...)
        # with a tighter timeout: a hung Redis must not hold submissions.
        kwargs = dict(redis.connection_pool.connection_kwargs)
        kwargs.update(socket_timeout=STORAGE_TIMEOUT_SECONDS, socket_connect_timeout=0.5)
        pool = redis.connection_pool.__class__(
            connection_class=redis.connection_pool.connection_class, **kwargs
        )
        app.config["RATELIMIT_STORAGE_URI"] = "redis://"
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "connection_pool": pool,
            "key_prefix": "moderation:limits",
        }
    limiter.init_app(app)
