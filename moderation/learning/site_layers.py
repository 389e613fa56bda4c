"""Per-site layers in the model registry: trained on one site's decisions, judged on its own.

A site's layer (``models.site_layer``) is a model version like the others, named
``site-layer/<site id>`` (the id, not the site's name: names may be longer than the registry's
model names), so registering, promoting (one active per name), rolling back and the history work
unchanged. It is trained on the site's training-split decisions over the active base models'
scores, and judged by the promotion gate on the site's held-out decisions only, against the
site's active layer or, when it has none, the base models alone.

The models package is imported inside the functions, so the web process never loads it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.labels import TOXICITY_LABELS
from moderation.exceptions import ModerationError
from moderation.learning.feedback import Split, feedback_rows, holdout_boundary
from moderation.storage import Actor, Comment, CommentStatus, ModelStatus, ModelVersion

if TYPE_CHECKING:
    from models.scorer import Scorer
    from models.site_layer import SiteLayer
    from models.stored import StoredModel

LAYER_PREFIX = "site-layer/"
LAYER_FILE = "site-layer.skops"
SCORE_BATCH = 256
# The most recent comments the policy approved and nobody decided on that a layer learns from.
APPROVED_LIMIT = 2000


def layer_name(site_id: int) -> str:
    """The registry name of a site's layer."""
    return f"{LAYER_PREFIX}{site_id}"


def layer_site(name: str) -> int | None:
    """The site id of a layer's registry name; None for any other model."""
    if not name.startswith(LAYER_PREFIX) or not name[len(LAYER_PREFIX) :].isdigit():
        return None
    return int(name[len(LAYER_PREFIX) :])


def as_stored(row: ModelVersion) -> StoredModel:
    from models.stored import StoredModel

    return StoredModel(row.name, row.version, row.sha256, row.artifact, dict(row.thresholds))


def active_rows(session: Session, layers: bool) -> list[ModelVersion]:
    """The active versions of the base models (``layers`` False) or of the site layers."""
    rows = session.scalars(
        select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE)
    ).all()
    return [row for row in rows if (layer_site(row.name) is not None) == layers]


def base_scorer(session: Session) -> Scorer:
    """A scorer over the active base versions: what every site scores with before its layer."""
    from models.stored import build_scorer

    stored = [as_stored(row) for row in active_rows(session, layers=False)]
    if not stored:
        raise ModerationError("no active base model versions (see: moderation models list)")
    return build_scorer(stored)


def load_layer(model: StoredModel) -> SiteLayer:
    """A stored layer version, loaded through the trusted-type loader."""
    from models.site_layer import SiteLayer
    from models.stored import load_artifact

    return SiteLayer(load_artifact(model), version=model.version)


def score_all(scorer: Scorer, records: list[dict[str, Any]]) -> list[dict[str, float]]:
    scores: list[dict[str, float]] = []
    for start in range(0, len(records), SCORE_BATCH):
        scores += scorer.score(records[start : start + SCORE_BATCH])
    return scores


def record_of(row: dict[str, Any]) -> dict[str, Any]:
    return {field: row.get(field) for field in ("text", "name", "email", "url")}


def undecided_approved(session: Session, site_id: int) -> list[dict[str, Any]]:
    """The site's most recent comments the policy approved and no moderator decided on, from
    before the held-out decisions (what moderators never see: mostly fine)."""
    query = (
        select(Comment)
        .where(
            Comment.site_id == site_id,
            Comment.status == CommentStatus.APPROVED,
            Comment.decided_by == Actor.POLICY,
        )
        .order_by(Comment.created_at.desc())
        .limit(APPROVED_LIMIT)
    )
    boundary = holdout_boundary(session)
    if boundary is not None:
        query = query.where(Comment.created_at < boundary[0])
    return [
        {"text": c.text, "name": c.name, "email": c.email, "url": c.url}
        for c in session.scalars(query)
    ]


def train_site_layer(
    session: Session,
    site_id: int,
    site_name: str,
    out_dir: Path,
    report_share: float = 1.0,
) -> dict[str, Any]:
    """Train the site's layer on its training-split decisions into ``out_dir`` (a skops file
    and a manifest ``models register`` reads); returns the manifest's entry.

    ``report_share`` is the share of missed abuse the site's readers report, if it is known:
    each reported miss then stands for 1/share misses when the thresholds match the base's
    catch (1, the default, assumes nothing).
    """
    from models.artifacts import save_model
    from models.site_layer import train_layer

    if not 0 < report_share <= 1:
        raise ModerationError("the report share is a fraction in (0, 1]")
    rows = [row for row, _ in feedback_rows(session, split=Split.TRAIN, site_id=site_id)]
    rows = [row for row in rows if any(k in TOXICITY_LABELS for k in row["labels"])]
    approved = undecided_approved(session, site_id)
    base = base_scorer(session)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name = layer_name(site_id)
    try:
        artifact = train_layer(
            rows,
            score_all(base, [record_of(row) for row in rows]),
            base.thresholds,
            name=name,
            version=f"layer-1.0+{stamp}",
            approved=approved,
            approved_base=score_all(base, approved),
            missed_weight=1 / report_share,
        )
    except ValueError as error:
        raise ModerationError(f"site {site_name!r}: {error}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    sha256 = save_model(artifact, out_dir / LAYER_FILE)
    entry = {
        "file": LAYER_FILE,
        "version": artifact["version"],
        "sha256": sha256,
        "labels": artifact["labels"],
        "thresholds": artifact["thresholds"],
        "training": {
            **artifact["training"],
            "site": site_name,
            "base": dict(base.versions),
            "report_share": report_share,
        },
        "metrics": {"out_of_fold": artifact["metrics"]},
        "data": ["feedback"],
    }
    manifest = {"models": {name: entry}}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return entry


def layered_probabilities(
    scorer: Scorer, records: list[dict[str, Any]]
) -> tuple[Any, dict[str, float]]:
    """rows x toxicity labels of a scorer's scores, and its thresholds."""
    import numpy as np

    scores = score_all(scorer, records)
    matrix = np.array([[s.get(k, 0.0) for k in TOXICITY_LABELS] for s in scores], dtype=float)
    return matrix.reshape(len(records), len(TOXICITY_LABELS)), dict(scorer.thresholds)


def evaluate_layer(
    session: Session, candidate: ModelVersion, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The candidate layer over the base against the site's active layer (or the base alone)
    on the site's held-out rows, with the gate's comparison (``models.evaluate.gate``)."""
    from models.evaluate.gate import compare
    from models.site_layer import LayeredScorer, truth_matrix

    base = base_scorer(session)
    usable = [row for row in rows if any(k in TOXICITY_LABELS for k in row.get("labels", {}))]
    records = [record_of(row) for row in usable]
    new = LayeredScorer(base, load_layer(as_stored(candidate)))
    active_row = session.scalar(
        select(ModelVersion).where(
            ModelVersion.name == candidate.name,
            ModelVersion.status == ModelStatus.ACTIVE,
            ModelVersion.id != candidate.id,
        )
    )
    old: Scorer = base
    old_version = f"base ({base.versions.get('toxicity')})"
    if active_row is not None:
        old = LayeredScorer(base, load_layer(as_stored(active_row)))
        old_version = active_row.version
    truth = truth_matrix(usable, TOXICITY_LABELS)
    p_new, t_new = layered_probabilities(new, records)
    p_old, t_old = layered_probabilities(old, records)
    gate = compare(TOXICITY_LABELS, truth, p_new, p_old, t_new, t_old)

    def summary(version: str, side: str) -> dict[str, Any]:
        aucs = [v[f"{side}_auc"] for v in gate["labels"].values() if f"{side}_auc" in v]
        return {
            "version": version,
            "rows": len(usable),
            "score": round(sum(aucs) / len(aucs), 4) if aucs else None,
            "measure": "roc_auc" if aucs else None,
        }

    return {
        "holdout_rows": len(rows),
        "site_id": layer_site(candidate.name),
        "candidate": summary(candidate.version, "candidate"),
        "active": summary(old_version, "active"),
        "gate": gate,
    }
