"""The operators' commands on the database: ``db``, ``sites``, ``keys``, ``sweep``, ``purge``.

They run inside an app context, as in Flask's tutorial: ``moderation.cli.init_app`` registers them
on ``app.cli``, and the ``moderation`` group builds the app (settings, database) before running one.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import IO, Any, cast

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import CursorResult, delete, select, text

from moderation.exceptions import ModerationError, NotFound
from moderation.storage import db


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

    from moderation.http.cors import normalize_origin

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
    from moderation.http.cors import normalize_origin
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
@click.option(
    "--site", help="The site the key belongs to (required for submit keys; refused for admin keys)."
)
@click.option(
    "--role",
    type=click.Choice(["submit", "moderate", "admin", "akismet"]),
    required=True,
    help="What it may do.",
)
@click.option(
    "--name",
    help="Who holds it (a moderator's name, 1-100 characters), shown with what they decide.",
)
@with_appcontext
def keys_create(site: str | None, role: str, name: str | None) -> None:
    """Create a key and print it (only the key, on stdout: it is shown once)."""
    from moderation.keys import checked_name, create_key
    from moderation.storage import Role, Site

    try:
        name = checked_name(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    with db.transaction() as session:
        site_row = None
        if site is not None:
            site_row = session.scalar(select(Site).where(Site.name == site))
            if site_row is None:
                raise click.ClickException(f"no site named {site!r}")
        if role in ("submit", "akismet") and site_row is None:
            raise click.ClickException(f"a {role} key needs --site")
        if role == "admin" and site_row is not None:
            raise click.ClickException(
                "an admin key covers every site; use --role moderate for one site's key"
            )
        _, plaintext = create_key(session, Role(role), site_row, name)
    click.echo(plaintext)


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """List keys: prefix, role, site, created, revoked, name (the keys themselves are not stored).

    The name is last: scripts that read the first five columns read them as before.
    """
    from moderation.storage import ApiKey

    for key in db.session().scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)):
        site = key.site.name if key.site is not None else "*"
        revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
        created = key.created_at.isoformat()
        click.echo(f"{key.prefix}\t{key.role}\t{site}\t{created}\t{revoked}\t{key.name or '-'}")


@keys_group.command("revoke")
@click.argument("prefix")
@with_appcontext
def keys_revoke(prefix: str) -> None:
    """Revoke the key that starts with PREFIX (as listed by ``keys list``); it fails at once."""
    from moderation.keys import revoke_key

    with db.transaction() as session:
        try:
            key = revoke_key(session, prefix)
        except ModerationError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"revoked {key.role} key {key.prefix}", err=True)


@keys_group.command("name")
@click.argument("prefix")
@click.argument("name", required=False)
@with_appcontext
def keys_name(prefix: str, name: str | None) -> None:
    """Name the key that starts with PREFIX (a moderator's name); without NAME, unname it."""
    from moderation.keys import name_key

    with db.transaction() as session:
        try:
            key = name_key(session, prefix, name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="NAME") from None
        except ModerationError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{key.role} key {key.prefix} is {key.name or 'unnamed'}", err=True)


@click.command("sweep")
@click.option("--older-than", default=None, type=int, help="Seconds pending (default: config).")
@with_appcontext
def sweep_command(older_than: int | None) -> None:
    """Re-enqueue comments still pending and webhook deliveries never sent (as workers do).

    Without ``REDIS_URL`` it uses the embedded Redis of a ``moderation up`` running on the same
    state folder (its socket in ``var/redis/``).
    """
    from moderation.cli.embedded import running_url
    from moderation.queue import connect, sweep_all

    redis_url = current_app.config["REDIS_URL"] or running_url(current_app.config["STATE_DIR"])
    if not redis_url:
        raise click.ClickException(
            "REDIS_URL is not set and no `moderation up` runs on this state folder"
        )
    seconds = current_app.config["SWEEP_AFTER_SECONDS"] if older_than is None else older_than
    connection = connect(redis_url)
    with db.transaction() as session:
        count, deliveries = sweep_all(session, connection, seconds)
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
    """Delete comments older than an age, with their scores, decisions and personal data.

    Readers' reports go with their comment (a foreign key); notes and actions on a comment name
    it without one, so they are deleted here.
    """
    from moderation.storage import Comment, Decision, ModeratorAction, Note, Score, utcnow

    cutoff = utcnow() - parse_age(older_than)
    sqlite = db.engine is not None and db.engine.dialect.name == "sqlite"
    with db.transaction() as session:
        if sqlite:
            # Overwrite deleted rows with zeros: without it their text stays in free pages.
            session.execute(text("PRAGMA secure_delete = ON"))
        old = select(Comment.id).where(Comment.created_at < cutoff)
        session.execute(delete(Score).where(Score.comment_id.in_(old)))
        session.execute(delete(Decision).where(Decision.comment_id.in_(old)))
        for about in (Note, ModeratorAction):
            session.execute(
                delete(about).where(about.subject == "comment", about.subject_id.in_(old))
            )
        # A DELETE's result is a CursorResult (it has the row count).
        deleted = session.execute(delete(Comment).where(Comment.created_at < cutoff))
        count = cast(CursorResult[Any], deleted).rowcount
    if sqlite:
        # The pages that held the deleted rows are still in the -wal file until a checkpoint
        # copies them over and TRUNCATE empties it.
        assert db.engine is not None  # configured by the app context
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    click.echo(f"purged {count} comments older than {older_than}", err=True)


COMMANDS = (db_group, sites_group, keys_group, sweep_command, purge_command)
