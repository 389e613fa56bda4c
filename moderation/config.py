"""Settings read from the environment and checked at start-up.

Every setting has an environment variable of the same name with the prefix ``MODERATION_`` (except
``REDIS_URL``, the name every Redis tool already uses). There are no default secrets: in
production mode the service refuses to start without ``MODERATION_SECRET_KEY``; in development
mode (``moderation up``) a random secret is generated once and kept under the state folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moderation.exceptions import ConfigurationError

DEFAULT_STATE_DIR = "var"
# The state folder as the CLI's --state sets it; it wins over MODERATION_STATE_DIR.
HOME_VARIABLE = "MODERATION_HOME"

# name -> (default, type); the order is the order of the README's configuration table.
SETTINGS: dict[str, tuple[Any, type]] = {
    "ENV": ("development", str),
    "STATE_DIR": (DEFAULT_STATE_DIR, str),
    "DATABASE_URL": ("", str),
    "REDIS_URL": ("", str),
    "SECRET_KEY": ("", str),
    "WAIT_MAX_MS": (5000, int),
    "MAX_BODY_BYTES": (65536, int),
    "SWEEP_AFTER_SECONDS": (30, int),
    "SWEEP_INTERVAL_SECONDS": (10, int),
    "MAX_SCORE_ATTEMPTS": (3, int),
    # Webhooks: whether receivers on loopback and private networks may be registered and reached
    # (link-local, multicast and unspecified addresses never may); how many a site may have;
    # how many deliveries each worker process sends at once, beside scoring.
    "WEBHOOKS_ALLOW_PRIVATE": (False, bool),
    "WEBHOOKS_PER_SITE": (10, int),
    "DELIVERY_THREADS": (4, int),
    # Deliveries of one site in flight at once, across all workers (workers/lanes.py): one
    # site's slow receivers hold at most this many delivery threads.
    "WEBHOOK_LANE_PER_SITE": (2, int),
    "PROXY_HOPS": (0, int),
    # Submissions per client IP; every request per client IP; every request per key (limits syntax).
    "RATE_LIMIT_SUBMIT": ("60 per minute", str),
    "RATE_LIMIT_DEFAULT": ("600 per minute", str),
    "RATE_LIMIT_KEY": ("6000 per minute", str),
    "RATE_LIMIT_ENABLED": (True, bool),
    "MODELS_DIR": ("", str),
    # How often a worker asks the database whether another model version was promoted.
    "MODEL_CHECK_SECONDS": (5.0, float),
    # text (readable lines) or json (one JSON object per line); see moderation/logs.py.
    "LOG_FORMAT": ("text", str),
    # When set, GET /metrics needs "Authorization: Bearer <this>"; empty: open (firewall it).
    "METRICS_TOKEN": ("", str),
    # Tests only: "module:function" a worker calls with its WorkerContext before the first job
    # (the fault tests wrap the scorer with it). Refused unless ENV is testing.
    "TEST_WORKER_HOOK": ("", str),
}


def _parse(value: str, kind: type) -> Any:
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return kind(value)


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting from the environment, falling back to its default.

    The state folder is ``MODERATION_HOME`` if set (the CLI's ``--state`` sets it), else
    ``MODERATION_STATE_DIR``, else ``./var``.
    """
    source: Mapping[str, str] = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for name, (default, kind) in SETTINGS.items():
        variable = "REDIS_URL" if name == "REDIS_URL" else f"MODERATION_{name}"
        raw = source.get(variable)
        try:
            config[name] = default if raw in (None, "") else _parse(raw, kind)
        except ValueError as error:
            raise ConfigurationError(
                f"{variable}={raw!r} is not a valid {kind.__name__}"
            ) from error
    if source.get(HOME_VARIABLE):
        config["STATE_DIR"] = source[HOME_VARIABLE]
    return config


def sqlite_file(database_url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (None for another database or an in-memory one)."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix or ":memory:" in database_url:
        return None
    return Path(database_url.removeprefix(prefix).split("?", 1)[0])


def state_folder_missing(config: dict[str, Any]) -> bool:
    """Whether loading these settings would create a state folder (for the development secret)."""
    return (
        not config["SECRET_KEY"]
        and config["ENV"] != "production"
        and not Path(config["STATE_DIR"]).is_dir()
    )


def require_state(config: dict[str, Any]) -> None:
    """Refuse, with one clear line, to work on a state that is not there (nothing is created).

    ``config`` is ``from_environment()``'s, before ``finalize``: its SQLite file (the default one
    under the state folder, or a ``sqlite:///`` URL) must exist, and so must the state folder when
    the secret lives in it. Only ``up`` and ``db upgrade`` create a state.
    """
    folder = Path(config["STATE_DIR"]).resolve()
    database = sqlite_file(config["DATABASE_URL"]) or (
        None if config["DATABASE_URL"] else folder / "moderation.db"
    )
    missing = state_folder_missing(config) or (database is not None and not database.is_file())
    if missing:
        what = f"no database at {database}" if database is not None else f"no folder {folder}"
        raise ConfigurationError(
            f"no moderation state here ({what}): run this in the folder where `moderation up` "
            "runs, or name the state folder with --state DIR or MODERATION_HOME (default ./var); "
            "`moderation up` or `moderation db upgrade` creates a new one"
        )


def finalize(config: dict[str, Any]) -> dict[str, Any]:
    """Fill in derived settings and refuse settings that cannot work.

    The database defaults to SQLite under the state folder. Without ``SECRET_KEY`` a development
    service generates one and keeps it in ``STATE_DIR/secret_key`` so client IP hashes stay
    comparable across restarts; a production service stops instead.
    """
    data_dir = Path(config["STATE_DIR"])
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{(data_dir / 'moderation.db').resolve()}"
    if config["ENV"] not in {"development", "production", "testing"}:
        raise ConfigurationError("MODERATION_ENV must be development, production or testing")
    if not config["SECRET_KEY"]:
        if config["ENV"] == "production":
            raise ConfigurationError(
                "MODERATION_SECRET_KEY is required in production: "
                'generate one with python -c "import secrets; print(secrets.token_hex(32))"'
            )
        config["SECRET_KEY"] = development_secret(data_dir)
    elif config["ENV"] == "production" and len(config["SECRET_KEY"]) < 32:
        raise ConfigurationError("MODERATION_SECRET_KEY must be at least 32 characters")
    if config["LOG_FORMAT"] not in {"text", "json"}:
        raise ConfigurationError("MODERATION_LOG_FORMAT must be text or json")
    if config["TEST_WORKER_HOOK"] and config["ENV"] != "testing":
        raise ConfigurationError(
            "MODERATION_TEST_WORKER_HOOK is for tests: set MODERATION_ENV=testing"
        )
    if config["ENV"] == "production" and not config["REDIS_URL"]:
        raise ConfigurationError("REDIS_URL is required in production")
    return config


def development_secret(data_dir: Path) -> str:
    """Return the secret kept in the data folder, creating it on first use."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    # O_EXCL so two processes starting together agree on one secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings from the environment, then ``overrides``, checked."""
    config = from_environment()
    config.update(overrides or {})
    return finalize(config)
