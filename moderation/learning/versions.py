"""The model registry: every trained version in the database, which one is active, and why.

Versions live in the ``model_versions`` table (bytes included), not in local files, so workers on
any host load the same model. A version is registered as a ``candidate`` with its metrics on the
held-out moderator feedback (``moderation.learning.feedback``) next to the active version's on the
same rows; ``promote`` evaluates again on today's held-out rows (optionally one site's) and refuses,
unless forced, a candidate the gate (``models.evaluate.gate``) does not find measurably better
there: too few rows to tell, worse on a judged label's AUC or on the verdict, or better on nothing,
each with a paired bootstrap confidence interval. Every registration, promotion (with that
evaluation, forced or not) and rollback is written to ``model_events``. A site's layer
(``site-layer/<site id>``, ``moderation.learning.site_layers``) is a version like the others,
judged on its own site's held-out decisions.

The models package is imported inside the functions that load or evaluate artifacts, so the web
process never imports scikit-learn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.exceptions import Conflict, ModerationError, NotFound, PromotionRefused
from moderation.learning.feedback import Split, feedback_rows, holdout_boundary
from moderation.learning.site_layers import evaluate_layer, layer_site
from moderation.storage import ModelEvent, ModelStatus, ModelVersion, utcnow

if TYPE_CHECKING:
    from models.stored import StoredModel

logger = logging.getLogger(__name__)

# What a site's layer rolled back to when it had no earlier one: the base models alone.
BASE_ONLY = "base"


def stored(row: ModelVersion) -> StoredModel:
    from models.stored import StoredModel

    return StoredModel(row.name, row.version, row.sha256, row.artifact, dict(row.thresholds))


def free_version(session: Session, name: str, wanted: str) -> str:
    """``wanted``, or ``wanted+N`` with the first free N (a retrained model keeps its version)."""
    taken = set(session.scalars(select(ModelVersion.version).where(ModelVersion.name == name)))
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}+{number}" in taken:
        number += 1
    return f"{wanted}+{number}"


def read_directory(directory: Path) -> list[dict[str, Any]]:
    """Each model of an artifacts directory: name, manifest entry, bytes; checksums verified."""
    from models.artifacts import read_manifest, sha256_bytes

    manifest = read_manifest(directory)
    found = []
    for name, entry in manifest["models"].items():
        data = (directory / entry["file"]).read_bytes()
        if entry.get("sha256") and sha256_bytes(data) != entry["sha256"]:
            raise ModerationError(f"{directory / entry['file']} does not match its manifest")
        thresholds = entry.get("thresholds") or {
            label: manifest["thresholds"][label]
            for label in entry.get("labels", [])
            if label in manifest.get("thresholds", {})
        }
        found.append(
            {
                "name": name,
                "entry": entry,
                "data": data,
                "sha256": sha256_bytes(data),
                "thresholds": thresholds,
            }
        )
    return found


def add_version(session: Session, model: dict[str, Any], actor: str) -> ModelVersion:
    """Insert one model of :func:`read_directory` as a candidate (its types are checked by
    loading it) and audit it."""
    from models.stored import StoredModel, load_artifact

    name, entry, data, thresholds = (
        model["name"],
        model["entry"],
        model["data"],
        model["thresholds"],
    )
    sha256 = model["sha256"]
    load_artifact(StoredModel(name, "", sha256, data))  # refuses untrusted types now, not later
    row = ModelVersion(
        name=name,
        version=free_version(session, name, entry.get("version") or name),
        sha256=sha256,
        artifact=data,
        size=len(data),
        labels=list(entry.get("labels") or thresholds),
        thresholds=thresholds,
        metrics={"training": entry.get("training", {}), "evaluation": entry.get("metrics", {})},
        data_sources=list(entry.get("data", [])),
        status=ModelStatus.CANDIDATE,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    session.add(ModelEvent(name=name, action="register", version=row.version, actor=actor))
    return row


def find_by_sha(session: Session, name: str, sha256: str) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.sha256 == sha256)
    )


def active_version(session: Session, name: str) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.name == name, ModelVersion.status == ModelStatus.ACTIVE
        )
    )


def active_fingerprint(session: Session) -> dict[str, tuple[str, str]]:
    """name -> (version, sha256) of every active version: one small query, no bytes."""
    rows = session.execute(
        select(ModelVersion.name, ModelVersion.version, ModelVersion.sha256).where(
            ModelVersion.status == ModelStatus.ACTIVE
        )
    ).all()
    return {name: (version, sha256) for name, version, sha256 in rows}


def active_models(session: Session) -> list[StoredModel]:
    """Every active version of the base models with its bytes (not the sites' layers)."""
    rows = session.scalars(
        select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE)
    ).all()
    return [stored(row) for row in rows if layer_site(row.name) is None]


def ensure_baseline(session: Session, directory: Path | None = None) -> list[ModelVersion]:
    """Adopt the shipped artifacts as the active versions if the registry holds no version yet.

    Two processes starting together may both try; the loser's insert fails on the unique
    constraints and it simply reads what the winner wrote. Returns the versions adopted (none
    when the registry was not empty or there are no artifacts to adopt).
    """
    from models.artifacts import ARTIFACTS_DIR, MANIFEST

    if session.scalar(select(exists().where(ModelVersion.id.is_not(None)))):
        return []
    directory = Path(directory) if directory is not None else ARTIFACTS_DIR
    if not (directory / MANIFEST).exists():
        return []
    adopted = []
    try:
        with session.begin_nested():
            for model in read_directory(directory):
                row = add_version(session, model, "baseline")
                activate(session, row, None, "baseline", "baseline")
                adopted.append(row)
    except IntegrityError:
        logger.info("another process adopted the baseline models first")
        return []
    logger.info("adopted the shipped models as the baseline: %s", [r.version for r in adopted])
    return adopted


def holdout(session: Session, site_id: int | None = None) -> list[dict[str, Any]]:
    """The held-out feedback rows (see ``moderation.learning.feedback``), of one site if given."""
    return [row for row, _ in feedback_rows(session, split=Split.HOLDOUT, site_id=site_id)]


def evaluate_pair(
    session: Session, candidate: ModelVersion, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The candidate's and the active version's metrics on the same held-out rows, and the
    gate's comparison of the two (``gate``)."""
    from models.evaluate.artifact import compare_artifacts, evaluate_artifact
    from models.stored import load_artifact

    boundary = holdout_boundary(session)
    if layer_site(candidate.name) is not None:
        # A site's layer: over the base, against the site's active layer or the base alone.
        return {
            **evaluate_layer(session, candidate, rows),
            "holdout_from": boundary[0].isoformat() if boundary else None,
        }
    result: dict[str, Any] = {
        "holdout_rows": len(rows),
        "holdout_from": boundary[0].isoformat() if boundary else None,
        "candidate": {
            "version": candidate.version,
            **evaluate_artifact(load_artifact(stored(candidate)), candidate.thresholds, rows),
        },
        "active": None,
    }
    active = active_version(session, candidate.name)
    if active is not None and active.id != candidate.id:
        result["active"] = {
            "version": active.version,
            **evaluate_artifact(load_artifact(stored(active)), active.thresholds, rows),
        }
        result["gate"] = compare_artifacts(
            load_artifact(stored(candidate)),
            candidate.thresholds,
            load_artifact(stored(active)),
            active.thresholds,
            rows,
        )
    return result


def register_directory(session: Session, directory: Path, actor: str) -> list[ModelVersion]:
    """Register every model of an artifacts directory as a candidate, with held-out metrics.

    A model whose bytes are registered already is not added twice: its row is returned as is.
    """
    rows = holdout(session)
    registered = []
    for model in read_directory(Path(directory)):
        existing = find_by_sha(session, model["name"], model["sha256"])
        if existing is not None:
            registered.append(existing)
            continue
        row = add_version(session, model, actor)
        site_id = layer_site(row.name)
        judged_on = rows if site_id is None else holdout(session, site_id)
        row.metrics = {**row.metrics, "holdout": evaluate_pair(session, row, judged_on)}
        registered.append(row)
    return registered


def get_version(session: Session, name: str, version: str) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version)
    )
    if row is None:
        raise NotFound(f"no model {name!r} version {version!r} (see: moderation models list)")
    return row


def refusal(evaluation: dict[str, Any], name: str) -> str | None:
    """Why a candidate may not replace the active version (the gate's reason), or None."""
    from models.evaluate.gate import refusal as gate_refusal

    if evaluation["active"] is None:
        return None
    return gate_refusal(evaluation["gate"], name, evaluation["candidate"]["version"])


def activate(
    session: Session,
    row: ModelVersion,
    previous: ModelVersion | None,
    actor: str,
    action: str,
    *,
    forced: bool = False,
    evaluation: dict[str, Any] | None = None,
) -> None:
    """Make ``row`` the active version (retiring ``previous`` first) and audit it."""
    now = utcnow()
    if previous is not None:
        # Retire first, in its own statement: the partial unique index allows one active row.
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.id == previous.id)
            .values(status=ModelStatus.RETIRED)
        )
        session.refresh(previous)
    row.status = ModelStatus.ACTIVE
    row.promoted_at = now
    row.promoted_by = actor
    session.add(
        ModelEvent(
            name=row.name,
            action=action,
            version=row.version,
            previous_version=previous.version if previous is not None else None,
            actor=actor,
            forced=forced,
            evaluation=evaluation or {},
            created_at=now,
        )
    )
    session.flush()


def promote(
    session: Session,
    name: str,
    version: str,
    actor: str,
    *,
    force: bool = False,
    site_id: int | None = None,
) -> dict[str, Any]:
    """Make a version active after judging it on today's held-out feedback; returns that verdict.

    ``site_id`` judges it on that site's held-out decisions only (a site's layer always is, on
    its own site's). A forced promotion records the refusal it overrode in its event's evaluation
    (``refused``).
    """
    row = get_version(session, name, version)
    layer_of = layer_site(name)
    site_id = layer_of if layer_of is not None else site_id
    if row.status == ModelStatus.ACTIVE:
        raise Conflict(f"{name} {version} is already the active version")
    evaluation = evaluate_pair(session, row, holdout(session, site_id))
    evaluation["site_id"] = site_id
    reason = refusal(evaluation, name)
    if reason is not None and not force:
        raise PromotionRefused(reason)
    evaluation["refused"] = reason
    previous = active_version(session, name)
    activate(session, row, previous, actor, "promote", forced=force, evaluation=evaluation)
    return evaluation


def rollback(session: Session, name: str, actor: str) -> ModelVersion | None:
    """Re-activate the version that was active before the current one was promoted.

    A site's first layer had none: it is retired, and the site is scored by the base alone
    (None).
    """
    current = active_version(session, name)
    if current is None:
        raise NotFound(f"no active version of model {name!r}")
    previous_version = session.scalar(
        select(ModelEvent.previous_version)
        .where(
            ModelEvent.name == name,
            ModelEvent.version == current.version,
            ModelEvent.action == "promote",
        )
        .order_by(ModelEvent.id.desc())
        .limit(1)
    )
    if previous_version is None and layer_site(name) is not None:
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.id == current.id)
            .values(status=ModelStatus.RETIRED)
        )
        session.add(
            ModelEvent(
                name=name,
                action="rollback",
                version=BASE_ONLY,
                previous_version=current.version,
                actor=actor,
            )
        )
        session.flush()
        return None
    if previous_version is None:
        raise Conflict(f"{name} {current.version} was not promoted over another version")
    target = get_version(session, name, previous_version)
    activate(session, target, current, actor, "rollback")
    return target


def list_versions(session: Session, names: Iterable[str] | None = None) -> list[ModelVersion]:
    query = select(ModelVersion).order_by(ModelVersion.name, ModelVersion.id)
    if names:
        query = query.where(ModelVersion.name.in_(list(names)))
    return list(session.scalars(query))
