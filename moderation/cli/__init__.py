"""The ``moderation`` command, by audience: ``service``, ``admin``, ``learning``, ``models``.

Commands that run processes or models (``up``, ``serve``, ``worker``, ``score``, ``train``,
``evaluate``) belong to the top-level group and do not build the Flask app; commands that work on
the database (``db``, ``sites``, ``keys``, ``sweep``, ``purge``, ``feedback``, ``models``) are
registered on ``app.cli`` by ``init_app`` and run inside an app context, as in Flask's tutorial.
The models and workers packages are imported inside the commands that need them, never at import
time.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from flask.cli import FlaskGroup

from moderation import logs
from moderation.cli import admin, learning, models, service
from moderation.exceptions import ModerationError

if TYPE_CHECKING:
    from flask import Flask

# Commands the extensions add (flask-limiter's, flask-smorest's): still there for whoever knows
# them, but not listed, since the service's own commands cover what operators need.
UNLISTED = frozenset({"limiter", "openapi"})


class ModerationGroup(FlaskGroup):
    """Flask's command group without the extensions' commands in ``--help``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in super().list_commands(ctx) if name not in UNLISTED]


def _create_app() -> Flask:
    from moderation import create_app

    return create_app()


main = ModerationGroup(
    name="moderation",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    params=[logs.cli_option()],
    help="Self-hosted comment moderation: run the service, manage sites and keys, train models.",
)
for command in (service.up, service.serve, service.worker, *models.COMMANDS):
    main.add_command(command)


def init_app(app: Any) -> None:
    """Register the database commands on ``app.cli`` (they run in an app context)."""
    from moderation.compat import cli as compat_cli

    for command in (*admin.COMMANDS, *learning.COMMANDS, *compat_cli.COMMANDS):
        app.cli.add_command(command)


def run() -> None:
    """Entry point of the console script: errors of ours become one line, not a traceback."""
    try:
        main()
    except ModerationError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
