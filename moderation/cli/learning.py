"""The ``moderation feedback`` and ``moderation models`` commands: learning from moderators.

The workflow: ``feedback export`` writes moderators' decisions as labelled JSON Lines (without
the held-out share), ``moderation train --feedback FILE --out DIR`` retrains, ``models register
DIR`` stores the new versions with their metrics on the held-out feedback, ``models promote``
makes one active (refused if it does worse than the active version there, unless ``--force``),
and the workers switch to it within ``MODERATION_MODEL_CHECK_SECONDS``. ``models rollback``
returns to the previous version. ``models train-layer SITE --out DIR`` trains a site's layer
on its own decisions (``site-layer/SITE`` in the other commands). Registered on ``app.cli`` like
the other database commands.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext

from moderation.exceptions import ModerationError
from moderation.storage import db


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def adopt_baseline(session: Any) -> None:
    """On first use, the shipped models (or ``MODELS_DIR``'s) become the active versions."""
    from flask import current_app

    from moderation.learning.versions import ensure_baseline

    directory = current_app.config.get("MODELS_DIR")
    ensure_baseline(session, Path(directory) if directory else None)


@click.group("feedback")
def feedback_group() -> None:
    """Moderators' decisions as labelled training data."""


@feedback_group.command("export")
@click.option("--out", "out", type=click.File("w"), required=True, help="JSON Lines file, or -.")
@click.option("--since", type=click.DateTime(), help="Only decisions made at or after (UTC).")
@click.option("--site", help="Only this site's comments.")
@click.option(
    "--split",
    type=click.Choice(["train", "holdout", "all"]),
    default="train",
    show_default=True,
    help="train leaves out the held-out rows that judge new model versions.",
)
@with_appcontext
def feedback_export(out: IO[str], since: datetime | None, site: str | None, split: str) -> None:
    """Write labelled rows, one JSON object a line, oldest decision first.

    Each row: text, name, email, url, labels {label: 0|1}, source "feedback", comment_id,
    decided_at. Only each comment's latest moderator decision counts; see the label mapping
    in ``moderation/learning/feedback.py``.
    """
    from datetime import UTC

    from moderation.learning.feedback import Split, feedback_rows

    session = db.session()
    site_id = site_id_of(session, site)
    count = 0
    for row, _ in feedback_rows(
        session,
        split=Split(split),
        since=since.replace(tzinfo=UTC) if since else None,
        site_id=site_id,
    ):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    click.echo(f"exported {count} labelled rows ({split})", err=True)


def site_id_of(session: Any, site: str | None) -> int | None:
    """The id of the site named ``site`` (None for None); a usage error if there is none."""
    from sqlalchemy import select

    from moderation.storage import Site

    if site is None:
        return None
    site_id = session.scalar(select(Site.id).where(Site.name == site))
    if site_id is None:
        raise click.ClickException(f"no site named {site!r}")
    return int(site_id)


def registry_name(session: Any, name: str) -> str:
    """The registry's name for NAME: ``site-layer/<site name>`` is stored by the site's id."""
    from moderation.learning.site_layers import LAYER_PREFIX, layer_name

    if not name.startswith(LAYER_PREFIX):
        return name
    site_id = site_id_of(session, name[len(LAYER_PREFIX) :])
    assert site_id is not None
    return layer_name(site_id)


@click.group("models")
def models_group() -> None:
    """Model versions: list, register, promote, roll back."""


def describe(row: Any) -> dict[str, Any]:
    holdout = row.metrics.get("holdout") or {}
    candidate = holdout.get("candidate") or {}
    active = holdout.get("active") or {}
    return {
        "name": row.name,
        "version": row.version,
        "status": row.status,
        "sha256": row.sha256,
        "bytes": row.size,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "promoted_at": row.promoted_at.isoformat() if row.promoted_at else None,
        "promoted_by": row.promoted_by,
        "holdout": {
            "rows": candidate.get("rows"),
            "score": candidate.get("score"),
            "measure": candidate.get("measure"),
            "active_version": active.get("version"),
            "active_score": active.get("score"),
        }
        if holdout
        else None,
    }


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, with metrics.")
@with_appcontext
def models_list(as_json: bool) -> None:
    """Every registered version: name, version, status, held-out score (and the active's)."""
    from moderation.learning.versions import list_versions

    with db.transaction() as session:
        adopt_baseline(session)
        rows = list_versions(session)
        for row in rows:
            if as_json:
                click.echo(json.dumps({**describe(row), "metrics": row.metrics}))
                continue
            info = describe(row)
            held = info["holdout"]
            score = f"{held['score']} vs {held['active_score']}" if held else "-"
            click.echo(f"{row.name}\t{row.version}\t{row.status}\t{score}\t{info['created_at']}")


@models_group.command("register")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def models_register(directory: Path) -> None:
    """Store the models trained into DIRECTORY as candidates, with held-out metrics."""
    from moderation.learning.versions import register_directory

    try:
        with db.transaction() as session:
            adopt_baseline(session)
            rows = register_directory(session, directory, cli_actor())
            described = [describe(row) for row in rows]
    except (ModerationError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from None
    for info in described:
        click.echo(json.dumps(info))


@models_group.command("promote")
@click.argument("name")
@click.argument("version")
@click.option(
    "--force",
    is_flag=True,
    help="Promote even if the gate refuses (the refusal is recorded with the promotion).",
)
@click.option("--site", help="Judge it on this site's held-out decisions only.")
@with_appcontext
def models_promote(name: str, version: str, force: bool, site: str | None) -> None:
    """Make VERSION of model NAME the one workers score with (they switch without a restart).

    Refused unless it is measurably better than the active version on the held-out decisions
    (docs/learning.md, The promotion gate).
    """
    from moderation.learning.versions import promote

    try:
        with db.transaction() as session:
            adopt_baseline(session)
            evaluation = promote(
                session,
                registry_name(session, name),
                version,
                cli_actor(),
                force=force,
                site_id=site_id_of(session, site),
            )
    except ModerationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({"promoted": {"name": name, "version": version}, **evaluation}))


@models_group.command("rollback")
@click.argument("name")
@with_appcontext
def models_rollback(name: str) -> None:
    """Re-activate the version of model NAME that was active before the current one."""
    from moderation.learning.versions import rollback

    try:
        with db.transaction() as session:
            row = rollback(session, registry_name(session, name), cli_actor())
            version = row.version if row is not None else None
    except ModerationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({"active": {"name": name, "version": version}}))


@models_group.command("history")
@click.argument("name", required=False)
@with_appcontext
def models_history(name: str | None) -> None:
    """The audit log: registrations, promotions (forced or not) and rollbacks, oldest first."""
    from sqlalchemy import select

    from moderation.storage import ModelEvent

    query = select(ModelEvent).order_by(ModelEvent.id)
    if name is not None:
        query = query.where(ModelEvent.name == registry_name(db.session(), name))
    for event in db.session().scalars(query):
        forced = " (forced)" if event.forced else ""
        previous = f" (was {event.previous_version})" if event.previous_version else ""
        click.echo(
            f"{event.created_at.isoformat()}\t{event.name}\t{event.action}{forced}\t"
            f"{event.version}{previous}\t{event.actor}"
        )


@models_group.command("train-layer")
@click.argument("site")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="A new folder for the layer and its manifest (then: models register DIR).",
)
@click.option(
    "--report-share",
    type=float,
    default=1.0,
    show_default=True,
    help="The share of missed abuse the site's readers report, if known (1 assumes nothing).",
)
@with_appcontext
def models_train_layer(site: str, out_dir: Path, report_share: float) -> None:
    """Train SITE's layer on its moderators' decisions (the training split) over the active
    base models' scores; register it, then promote ``site-layer/SITE`` (docs/learning.md)."""
    from moderation.learning.site_layers import train_site_layer

    try:
        with db.transaction() as session:
            adopt_baseline(session)
            site_id = site_id_of(session, site)
            assert site_id is not None
            entry = train_site_layer(session, site_id, site, out_dir, report_share)
    except ModerationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({"name": f"site-layer/{site}", **entry}))


COMMANDS = (feedback_group, models_group)
