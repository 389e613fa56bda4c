"""The ``moderation`` command.

Commands that run processes or models (``up``, ``serve``, ``worker``, ``score``, ``train``,
``evaluate``) belong to the top-level group and do not build the Flask app; commands that work on
the database (``db``, ``sites``, ``keys``, ``sweep``, ``purge``) are registered on ``app.cli`` by
``init_app`` and run inside an app context, as in Flask's tutorial. The models and workers
packages are imported inside the commands that need them, never at import time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import delete, select

from moderation import config as settings
from moderation.exceptions import ModerationError, NotFound

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
SCORE_BATCH = 256


def _create_app() -> Flask:
    from moderation import create_app

    return create_app()


main = FlaskGroup(
    name="moderation",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Self-hosted comment moderation: run the service, manage sites and keys, train models.",
)


# -- database commands (app context) ------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply all migrations."""
    from moderation.migrations import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date", err=True)


@click.group("sites")
def sites_group() -> None:
    """Sites that submit comments."""


def web_origins(origins: tuple[str, ...]) -> list[str]:
    """Each ``--origin`` as ``scheme://host[:port]``; a path or a missing scheme is an error."""
    from urllib.parse import urlsplit

    from moderation.cors import normalize_origin

    result = []
    for origin in origins:
        normalized = normalize_origin(origin)
        parts = urlsplit(origin.strip())
        if normalized is None or parts.path not in {"", "/"} or parts.query or parts.fragment:
            raise click.BadParameter(
                f"{origin!r} is not an origin like https://blog.example", param_hint="--origin"
            )
        result.append(normalized)
    return result


@sites_group.command("create")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, help="A web origin allowed to post (CORS).")
@with_appcontext
def sites_create(name: str, origins: tuple[str, ...]) -> None:
    """Create a site named NAME."""
    from moderation import db
    from moderation.storage import Site

    with db.transaction() as session:
        if session.scalar(select(Site).where(Site.name == name)) is not None:
            raise click.ClickException(f"a site named {name!r} exists already")
        session.add(Site(name=name, origins=web_origins(origins)))
    click.echo(f"created site {name}", err=True)


@sites_group.command("origins")
@click.argument("name")
@click.option("--add", "added", multiple=True, help="An origin to allow (CORS).")
@click.option("--remove", "removed", multiple=True, help="An origin to stop allowing.")
@with_appcontext
def sites_origins(name: str, added: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """Show or change the web origins whose pages may post with the site's key."""
    from moderation import db
    from moderation.cors import normalize_origin
    from moderation.storage import Site

    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == name))
        if site is None:
            raise click.ClickException(f"no site named {name!r}")
        gone = set(web_origins(removed))
        origins = [o for o in site.origins or [] if normalize_origin(o) not in gone]
        origins += [origin for origin in web_origins(added) if origin not in origins]
        site.origins = origins
    for origin in origins:
        click.echo(origin)


@sites_group.command("list")
@with_appcontext
def sites_list() -> None:
    """List the sites, one name a line."""
    from moderation import db
    from moderation.storage import Site

    for name in db.session().scalars(select(Site.name).order_by(Site.name)):
        click.echo(name)


def parse_setting(assignment: str) -> dict[str, Any]:
    """``thresholds.spam.hold=0.8`` -> ``{"thresholds": {"spam": {"hold": 0.8}}}``.

    The value is JSON (``true``, ``5``, ``null``, ``["a", "b"]``); anything else is a string.
    """
    path, sep, raw = assignment.partition("=")
    if not sep or not path.strip():
        raise click.BadParameter(f"{assignment!r}: use KEY=VALUE", param_hint="--set")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    for key in reversed(path.strip().split(".")):
        value = {key: value}
    return value


@sites_group.command("policy")
@click.argument("name")
@click.option(
    "--set", "assignments", multiple=True, help="KEY=VALUE, e.g. thresholds.spam.hold=0.8"
)
@click.option(
    "--file", "policy_file", type=click.File("r"), help="Replace the policy with this JSON."
)
@with_appcontext
def sites_policy(name: str, assignments: tuple[str, ...], policy_file: IO[str] | None) -> None:
    """Show a site's policy (set and effective) or change it; every change is audited."""
    import getpass

    import marshmallow as ma

    from moderation import db
    from moderation.policy import merged
    from moderation.sites import change_policy, find_site, patched

    with db.transaction() as session:
        try:
            site = find_site(session, name)
        except NotFound as error:
            raise click.ClickException(str(error)) from None
        if policy_file is not None or assignments:
            policy = json.load(policy_file) if policy_file is not None else dict(site.policy or {})
            for assignment in assignments:
                policy = patched(policy, parse_setting(assignment))
            try:
                change_policy(session, site, policy, f"cli:{getpass.getuser()}")
            except ma.ValidationError as error:
                raise click.ClickException(
                    f"invalid policy: {json.dumps(error.messages)}"
                ) from None
        view = {"site": site.name, "policy": site.policy, "effective": merged(site.policy)}
    click.echo(json.dumps(view, indent=2))


@click.group("keys")
def keys_group() -> None:
    """Site keys, moderator and admin tokens."""


@keys_group.command("create")
@click.option("--site", help="The site the key belongs to (required for submit keys).")
@click.option(
    "--role",
    type=click.Choice(["submit", "moderate", "admin"]),
    required=True,
    help="What it may do.",
)
@with_appcontext
def keys_create(site: str | None, role: str) -> None:
    """Create a key and print it (only the key, on stdout: it is shown once)."""
    from moderation import db
    from moderation.auth import create_key
    from moderation.storage import Role, Site

    with db.transaction() as session:
        site_row = None
        if site is not None:
            site_row = session.scalar(select(Site).where(Site.name == site))
            if site_row is None:
                raise click.ClickException(f"no site named {site!r}")
        if role == "submit" and site_row is None:
            raise click.ClickException("a submit key needs --site")
        _, plaintext = create_key(session, Role(role), site_row)
    click.echo(plaintext)


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """List keys: prefix, role, site, created, revoked (the keys themselves are not stored)."""
    from moderation import db
    from moderation.storage import ApiKey

    for key in db.session().scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)):
        site = key.site.name if key.site is not None else "*"
        revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
        click.echo(f"{key.prefix}\t{key.role}\t{site}\t{key.created_at.isoformat()}\t{revoked}")


@keys_group.command("revoke")
@click.argument("prefix")
@with_appcontext
def keys_revoke(prefix: str) -> None:
    """Revoke the key that starts with PREFIX (as listed by ``keys list``); it fails at once."""
    from moderation import db
    from moderation.auth import revoke_key

    with db.transaction() as session:
        try:
            key = revoke_key(session, prefix)
        except ModerationError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"revoked {key.role} key {key.prefix}", err=True)


@click.command("sweep")
@click.option("--older-than", default=None, type=int, help="Seconds pending (default: config).")
@with_appcontext
def sweep_command(older_than: int | None) -> None:
    """Re-enqueue comments still pending and webhook deliveries never sent (as workers do)."""
    from moderation import db
    from moderation.queue import connect, sweep
    from moderation.webhooks import sweep_deliveries

    redis_url = current_app.config["REDIS_URL"]
    if not redis_url:
        raise click.ClickException("REDIS_URL is not set")
    seconds = current_app.config["SWEEP_AFTER_SECONDS"] if older_than is None else older_than
    connection = connect(redis_url)
    with db.transaction() as session:
        count = sweep(session, connection, seconds)
        deliveries = sweep_deliveries(session, connection, seconds)
    click.echo(f"re-enqueued {count} pending comments, {deliveries} webhook deliveries", err=True)


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if not match:
        raise click.BadParameter("use a number and d, h or m, for example 90d")
    units = {"d": "days", "h": "hours", "m": "minutes"}
    return timedelta(**{units[match.group(2)]: int(match.group(1))})


@click.command("purge")
@click.option("--older-than", required=True, help="Age, for example 90d, 12h or 30m.")
@with_appcontext
def purge_command(older_than: str) -> None:
    """Delete comments older than an age, with their scores, decisions and personal data."""
    from moderation import db
    from moderation.storage import Comment, Decision, Score, utcnow

    cutoff = utcnow() - parse_age(older_than)
    with db.transaction() as session:
        old = select(Comment.id).where(Comment.created_at < cutoff)
        session.execute(delete(Score).where(Score.comment_id.in_(old)))
        session.execute(delete(Decision).where(Decision.comment_id.in_(old)))
        count = session.execute(delete(Comment).where(Comment.created_at < cutoff)).rowcount
    click.echo(f"purged {count} comments older than {older_than}", err=True)


def init_app(app: Flask) -> None:
    from moderation.learning_cli import COMMANDS as LEARNING_COMMANDS

    for command in (db_group, sites_group, keys_group, sweep_command, purge_command):
        app.cli.add_command(command)
    for command in LEARNING_COMMANDS:
        app.cli.add_command(command)


# -- process commands (no app) ------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True)
@click.option("--workers", default=3, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker (for ?wait=).")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the API under gunicorn."""
    settings.load()  # fail here, with a clear message, rather than in every gunicorn worker
    os.execvp(sys.executable, gunicorn_command("moderation.wsgi:app", host, port, workers, threads))


def gunicorn_command(app: str, host: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command line of ``serve`` for a WSGI ``app`` (the benchmarks reuse it)."""
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        # No access log: it would record client addresses in clear, which we store only hashed.
        "--graceful-timeout", "10",
        # gunicorn 27 opens a control socket at one fixed path per user; several servers on one
        # host (tests, benchmarks, `up` beside `serve`) would fight over it, and we never use it.
        "--no-control-socket",
        app,
    ]  # fmt: skip


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run a worker: load the models once, score comments, sweep pending ones."""
    from workers.worker import run

    config = settings.load()
    if not config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set")
    run(config, burst=burst)


def first_start(config: dict[str, Any]) -> list[str]:
    """Create the site ``default`` with a site key and a moderator token if there is no site."""
    from moderation.auth import create_key
    from moderation.storage import Database, Role, Site

    database = Database(config["DATABASE_URL"])
    try:
        with database.transaction() as session:
            if session.scalar(select(Site.id).limit(1)) is not None:
                return []
            site = Site(name="default", origins=[])
            session.add(site)
            session.flush()
            _, site_key = create_key(session, Role.SUBMIT, site)
            _, moderator = create_key(session, Role.MODERATE, None)
            _, admin = create_key(session, Role.ADMIN, None)
        return [
            f"  site 'default' key (submit):  {site_key}",
            f"  moderator token:             {moderator}",
            f"  admin token:                 {admin}",
            "  These are shown once; keep them.",
        ]
    finally:
        assert database.engine is not None
        database.engine.dispose()


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "moderation", *args], env=env)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@main.command("up")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True)
@click.option("--workers", "worker_count", default=1, show_default=True, help="Worker processes.")
def up(host: str, port: int, worker_count: int) -> None:
    """Run the whole service here: embedded Redis, SQLite, migrations, API and workers."""
    from moderation.embedded import EmbeddedRedis
    from moderation.migrations import upgrade

    env = dict(os.environ)
    config = settings.from_environment()
    data_dir = Path(config["STATE_DIR"])
    embedded = None
    if not config["REDIS_URL"]:
        embedded = EmbeddedRedis(data_dir / "redis").start()
        env["REDIS_URL"] = embedded.url
    config = settings.load({"REDIS_URL": env["REDIS_URL"]})
    env["MODERATION_DATABASE_URL"] = config["DATABASE_URL"]
    children: list[subprocess.Popen[bytes]] = []
    # A service manager stops us with SIGTERM: shut down the children as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        upgrade(config["DATABASE_URL"])
        keys = first_start(config)
        children.append(
            _spawn(["serve", "--host", host, "--port", str(port), "--workers", "2"], env)
        )
        children += [_spawn(["worker"], env) for _ in range(worker_count)]
        click.echo(f"moderation is up: http://{host}:{port}  (API docs: /openapi.json)")
        click.echo(f"  database: {config['DATABASE_URL']}\n  redis: {env['REDIS_URL']}")
        for line in keys:
            click.echo(line)
        click.echo("Ctrl-C stops everything.")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        raise click.ClickException("a service process exited; stopping the others")
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.stop()


# -- model commands (no app) --------------------------------------------------------------------


def read_json_lines(stream: IO[str]) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
    """Each line as (comment, None), or (None, error) when the line is not a valid comment."""
    for number, line in enumerate(stream, start=1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            yield None, f"line {number}: not JSON ({error.msg})"
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            yield None, f"line {number}: needs a string field 'text'"
            continue
        fields = {key: item.get(key) for key in ("text", "name", "email", "url")}
        if any(value is not None and not isinstance(value, str) for value in fields.values()):
            yield None, f"line {number}: text, name, email and url must be strings"
            continue
        yield fields, None


@main.command("score")
@click.argument("source", type=click.File("r"), default="-")
@click.option("--models-dir", type=click.Path(exists=True, file_okay=False), default=None)
def score(source: IO[str], models_dir: str | None) -> None:
    """Score JSON Lines (``text`` required; ``name``, ``email``, ``url`` optional) from FILE or -.

    Writes one JSON line per input line, in order; a line that is not a valid comment gets
    ``{"error": ...}`` and the command exits with status 1 at the end.
    """
    from models.artifacts import load_scorer
    from moderation.policy import decide

    scorer = load_scorer(models_dir)
    failed = False
    batch: list[tuple[dict[str, Any] | None, str | None]] = []

    def flush() -> None:
        comments = [item for item, _ in batch if item is not None]
        results = iter(scorer.score(comments) if comments else [])
        for item, error in batch:
            if item is None:
                click.echo(json.dumps({"error": error}))
                continue
            labels = next(results)
            verdict = decide(labels, None, scorer.thresholds)
            line = {
                "spam": labels["spam"],
                "toxicity": labels["toxicity"],
                "labels": labels,
                "verdict": verdict.status,
                "reasons": verdict.reasons,
            }
            click.echo(json.dumps(line))
        batch.clear()

    for entry in read_json_lines(source):
        failed = failed or entry[0] is None
        batch.append(entry)
        if len(batch) >= SCORE_BATCH:
            flush()
    flush()
    if failed:
        sys.exit(1)


@main.command("train")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None)
@click.option("--sample", type=int, default=None, help="Train on this many rows (quick check).")
@click.option("--feedback", type=click.Path(exists=True, path_type=Path), default=None)
def train(
    data_dir: Path | None, out_dir: Path | None, sample: int | None, feedback: Path | None
) -> None:
    """Train the spam and toxicity models from the labelled datasets."""
    from models.datasets import default_data_dir
    from models.artifacts import ARTIFACTS_DIR
    from models.train import train as train_models

    manifest = train_models(
        data_dir or default_data_dir(), out_dir or ARTIFACTS_DIR, sample=sample, feedback=feedback
    )
    click.echo(json.dumps({name: m.get("version") for name, m in manifest["models"].items()}))


@main.command("evaluate")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None)
@click.option("--models-dir", type=click.Path(path_type=Path), default=None)
@click.option("--report", type=click.Path(path_type=Path), default=None)
def evaluate(data_dir: Path | None, models_dir: Path | None, report: Path | None) -> None:
    """Metrics per label and per data source, next to the baselines; writes a report."""
    from models.datasets import default_data_dir
    from models.evaluate import evaluate as evaluate_models
    from models.artifacts import ARTIFACTS_DIR

    evaluate_models(data_dir or default_data_dir(), models_dir or ARTIFACTS_DIR, report)


def run() -> None:
    """Entry point of the console script: errors of ours become one line, not a traceback."""
    try:
        main()
    except ModerationError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
