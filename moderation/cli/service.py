"""Commands that run the service: ``up`` (everything here), ``serve`` (the API), ``worker``.

They do not build the Flask app: ``serve`` execs gunicorn on ``moderation.wsgi:app``, ``worker``
starts ``workers.worker`` (imported inside the command: the web process never loads it), and
``up`` spawns both after migrating the database, with the embedded Redis of ``cli/embedded.py``
unless ``REDIS_URL`` is set.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from moderation import config as settings
from moderation import metrics
from moderation.exceptions import ConfigurationError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
UP_THREADS = 16
# gunicorn's socket under `up`, in the state folder (cli/front.py is its only client).
API_SOCKET = "api.sock"


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True)
@click.option("--workers", default=3, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker (for ?wait=).")
@click.option("--unix-socket", default=None, help="Listen on this Unix socket, not host:port.")
def serve(host: str, port: int, workers: int, threads: int, unix_socket: str | None) -> None:
    """Run the API under gunicorn."""
    # Fail here, with a clear message, rather than in every gunicorn worker.
    config = checked_settings()
    if not metrics.multiprocess_directory():
        # Under `up` the folder is set (and the workers write to it too); alone, serve makes one.
        metrics.prepare_multiprocess_directory(config["STATE_DIR"])
    command = gunicorn_command("moderation.wsgi:app", host, port, workers, threads)
    if unix_socket:
        command[command.index("--bind") + 1] = f"unix:{unix_socket}"
    os.execvp(sys.executable, command)


def checked_settings() -> dict[str, Any]:
    """The settings of ``serve`` and ``worker``, refused before anything is created.

    Production's refusals (a missing secret or Redis) come first; then the state must exist
    (``config.require_state``): these commands never create a database or a state folder.
    """
    raw = settings.from_environment()
    if raw["ENV"] == "production":
        settings.finalize(dict(raw))  # writes nothing in production
    settings.require_state(raw)
    return settings.load()


def gunicorn_command(app: str, host: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command line of ``serve`` for a WSGI ``app`` (the benchmarks reuse it)."""
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        # gthread whose own 400/414/431 answers are the API's JSON error shape (server.py).
        "--worker-class", "moderation.server.ThreadWorker",
        # No access log: it would record client addresses in clear, which we store only hashed.
        "--graceful-timeout", "10",
        # gunicorn 27 opens a control socket at one fixed path per user; several servers on one
        # host (tests, benchmarks, `up` beside `serve`) would fight over it, and we never use it.
        "--no-control-socket",
        # Its error log in the service's log format (text or json).
        "--logger-class", "moderation.logs.GunicornLogger",
        app,
    ]  # fmt: skip


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run a worker: load the models once, score comments, sweep pending ones."""
    from workers.worker import run

    config = checked_settings()
    if not config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set")
    run(config, burst=burst)


def first_start(config: dict[str, Any]) -> list[str]:
    """Create the site ``default`` with a site key and a moderator token if there is no site."""
    from moderation.keys import create_key
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


def private_state(data_dir: Path) -> None:
    """Make what ``up`` writes readable by its user only: ``data_dir`` 0700, files in it 0600.

    The database and its WAL hold readers' comments; umask 077 covers the files created from
    now on (by this process and its children), the chmods those left by an earlier run.
    """
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for path in data_dir.rglob("*"):
        if path.is_dir():
            path.chmod(0o700)
        elif path.is_file() and not path.is_symlink():
            path.chmod(0o600)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@click.command("up")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True)
@click.option("--workers", "worker_count", default=1, show_default=True, help="Worker processes.")
def up(host: str, port: int, worker_count: int) -> None:
    """Run the whole service here: embedded Redis, SQLite, migrations, API and workers.

    A process that crashes is started again (cli/supervisor.py); Ctrl-C or SIGTERM stops all.
    The children die with it, even on a kill -9, and one folder has one ``up`` at a time
    (cli/lifetime.py).
    """
    from moderation.cli.lifetime import StateLock

    env = dict(os.environ)
    config = settings.from_environment()
    data_dir = Path(config["STATE_DIR"])
    private_state(data_dir)
    # Before anything else starts: a second `up` here must not touch the first one's Redis.
    lock = StateLock(data_dir).acquire()
    try:
        run_up(env, config, data_dir, host, port, worker_count)
    finally:
        lock.release()


def run_up(
    env: dict[str, str],
    config: dict[str, Any],
    data_dir: Path,
    host: str,
    port: int,
    worker_count: int,
) -> None:
    """``up`` once it holds its state folder: start every part, then supervise them."""
    from moderation.cli.embedded import EmbeddedRedis
    from moderation.cli.supervisor import Part, Program, stop_all, supervise
    from moderation.migrations import upgrade

    parts: list[Part] = []
    # Until the supervisor takes over, a service manager's SIGTERM stops us as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if not config["REDIS_URL"]:
            embedded = EmbeddedRedis(data_dir / "redis", die_with_parent=True).start()
            parts.append(embedded)
            env["REDIS_URL"] = embedded.url
        config = settings.load({"REDIS_URL": env["REDIS_URL"]})
        env["MODERATION_DATABASE_URL"] = config["DATABASE_URL"]
        # One folder for the samples of the API processes and the workers: one scrape shows all.
        env[metrics.MULTIPROCESS_VARIABLE] = str(metrics.prepare_multiprocess_directory(data_dir))
        upgrade(config["DATABASE_URL"])
        keys = first_start(config)
        # gunicorn on a Unix socket only `front` reaches: front buffers each request whole, so
        # a client trickling its body holds no gunicorn thread (cli/front.py, issue 17 item 2).
        api_socket = data_dir.resolve() / API_SOCKET
        if len(str(api_socket)) > 100:
            raise ConfigurationError(f"socket path too long for Unix sockets: {api_socket}")
        api_socket.unlink(missing_ok=True)
        serve_args = ["serve", "--unix-socket", str(api_socket), "--workers", "2"]
        serve_args += ["--threads", str(UP_THREADS)]
        api_env = {**env, "MODERATION_PROXY_HOPS": str(config["PROXY_HOPS"] + 1)}
        parts.append(Program("api", serve_args, api_env).start())
        front_args = ["front", "--host", host, "--port", str(port)]
        parts.append(Program("front", [*front_args, "--upstream", str(api_socket)], env).start())
        parts += [Program(f"worker {n + 1}", ["worker"], env).start() for n in range(worker_count)]
    except KeyboardInterrupt:
        stop_all(parts)
        return
    except BaseException:
        stop_all(parts)
        raise
    click.echo(f"moderation is up: http://{host}:{port}  (API docs: /openapi.json)")
    click.echo(f"  database: {config['DATABASE_URL']}\n  redis: {env['REDIS_URL']}")
    for line in keys:
        click.echo(line)
    click.echo("Ctrl-C stops everything.")
    supervise(parts)
