"""``moderation coral secrets add|list|remove``: the signing secrets Coral signs requests with."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.storage import Site, db


@click.group("coral")
def coral_group() -> None:
    """Coral Talk: the signing secrets of its external moderation phase and webhooks."""


@coral_group.group("secrets")
def secrets_group() -> None:
    """Coral's signing secrets of a site (stored sealed under SECRET_KEY)."""


def site_named(session: Session, name: str) -> Site:
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        raise click.ClickException(f"no site named {name!r}")
    return site


@secrets_group.command("add")
@click.option("--site", required=True, help="The site Coral moderates for.")
@with_appcontext
def secrets_add(site: str) -> None:
    """Add the secret Coral shows (read from stdin, so it stays out of the shell's history).

    While Coral rotates its secret, add the new one and remove the old one later: a request
    signed with any live secret of the site passes.
    """
    from moderation.compat.coral_secrets import add_secret

    secret = sys.stdin.readline().strip()
    with db.transaction() as session:
        try:
            row = add_secret(
                session, site_named(session, site), secret, current_app.config["SECRET_KEY"]
            )
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"added secret {row.id} for site {site}", err=True)


@secrets_group.command("list")
@click.option("--site", required=True)
@with_appcontext
def secrets_list(site: str) -> None:
    """Id and creation time of each live secret (the secrets themselves are not shown)."""
    from moderation.compat.coral_secrets import live_rows

    with db.transaction() as session:
        for row in live_rows(session, site_named(session, site).id):
            click.echo(f"{row.id}\t{row.created_at.isoformat()}")


@secrets_group.command("remove")
@click.option("--site", required=True)
@click.argument("secret_id", type=int)
@with_appcontext
def secrets_remove(site: str, secret_id: int) -> None:
    """Stop accepting the secret with this id (after Coral's rotation is over)."""
    from moderation.compat.coral_secrets import remove_secret

    with db.transaction() as session:
        if not remove_secret(session, site_named(session, site).id, secret_id):
            raise click.ClickException(f"site {site} has no live secret {secret_id}")
    click.echo(f"removed secret {secret_id}", err=True)


COMMANDS = (coral_group,)
