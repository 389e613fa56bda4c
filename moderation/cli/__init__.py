"""The ``moderation`` command, by audience: ``service``, ``admin``, ``learning``, ``models``.

Commands that run processes or models (``up``, ``serve``, ``worker``, ``score``, ``train``,
``evaluate``) belong to the top-level group and do not build the Flask app; commands that work on
the database (``db``, ``sites``, ``keys``, ``sweep``, ``purge``, ``feedback``, ``models``) are
registered on ``app.cli`` by ``init_app`` and run inside an app context, as in Flask's tutorial.
The models and workers packages are imported inside the commands that need them, never at import
time.

Where the state is: ``--state DIR``, else ``MODERATION_HOME``, else ``MODERATION_STATE_DIR``, else
``./var``. A database command refuses, with one line, to run where there is no state, and creates
nothing there: only ``up`` and ``db upgrade`` make a new state (a private folder, then the
database). ``--help`` works anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask.cli import FlaskGroup

from moderation import config as settings
from moderation import logs
from moderation.cli import admin, front, learning, models, service
from moderation.exceptions import ModerationError

if TYPE_CHECKING:
    from flask import Flask

# Commands the extensions add (flask-limiter's, flask-smorest's): still there for whoever knows
# them, but not listed, since the service's own commands cover what operators need.
UNLISTED = frozenset({"limiter", "openapi"})
HELP = frozenset({"--help", "-h"})


def database_commands() -> dict[str, click.Command]:
    """The app's commands by name, without building the app (for ``--help`` where no state is)."""
    from moderation.compat import cli as compat_cli

    commands = (*admin.COMMANDS, *learning.COMMANDS, *compat_cli.COMMANDS)
    return {command.name: command for command in commands if command.name}


def set_home(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--state DIR``: the state folder of this command and of the processes it starts."""
    if value:
        os.environ[settings.HOME_VARIABLE] = str(Path(value).resolve())


def make_state_folder() -> None:
    """``db upgrade`` may create a state: a folder of its user's only, as ``up`` makes it."""
    os.umask(0o077)
    Path(settings.from_environment()["STATE_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)


class ModerationGroup(FlaskGroup):
    """Flask's command group that knows where its state is; the extensions' commands unlisted."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        if settings.state_folder_missing(settings.from_environment()):
            # Building the app would create the folder (its development secret): list statically.
            return sorted({*self.commands, *database_commands()})
        return [name for name in super().list_commands(ctx) if name not in UNLISTED]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and settings.state_folder_missing(
            settings.from_environment()
        ):
            return database_commands().get(cmd_name)  # reached for --help only (resolve_command)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Check the state before a database command builds the app on it (or creates one)."""
        name = args[0] if args else None
        if name and name not in self.commands and not ctx.resilient_parsing:
            if HELP.intersection(args[1:]):
                pass
            elif args[:2] == ["db", "upgrade"]:
                make_state_folder()
            else:
                settings.require_state(settings.from_environment())
        return super().resolve_command(ctx, args)


def _create_app() -> Flask:
    from moderation import create_app

    return create_app()


main = ModerationGroup(
    name="moderation",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    params=[
        logs.cli_option(),
        click.Option(
            ["--state"],
            metavar="DIR",
            expose_value=False,
            is_eager=True,
            callback=set_home,
            help="State folder (database, secret, Redis socket); else MODERATION_HOME, ./var.",
        ),
    ],
    help="Self-hosted comment moderation: run the service, manage sites and keys, train models.",
)
for command in (service.up, service.serve, service.worker, front.front, *models.COMMANDS):
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
