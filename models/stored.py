"""Model versions kept as bytes (in the service's database): load them into a scorer.

The service stores each trained artifact as skops bytes with its version and thresholds; this
module turns such entries back into a :class:`~models.scorer.Scorer` (through the trusted-type
loader of :mod:`models.artifacts`).  Judging a version on feedback is
:func:`models.evaluate.artifact.evaluate_artifact`.  Nothing here knows about databases: callers
pass bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.artifacts import load_model_bytes
from models.scorer import Scorer


@dataclass(frozen=True)
class StoredModel:
    """One model version as the service keeps it."""

    name: str
    version: str
    sha256: str
    artifact: bytes
    thresholds: dict[str, float] = field(default_factory=dict)


def load_artifact(model: StoredModel) -> Any:
    """The artifact in ``model.artifact``, refused if its checksum or types are not trusted."""
    return load_model_bytes(model.artifact, sha256=model.sha256)


def build_scorer(stored: Sequence[StoredModel], loaded: Mapping[str, Any] | None = None) -> Scorer:
    """A scorer over the given versions; ``loaded`` maps sha256 to artifacts already loaded."""
    loaded = loaded or {}
    artifacts = {m.name: loaded.get(m.sha256) or load_artifact(m) for m in stored}
    thresholds: dict[str, float] = {}
    for m in stored:
        thresholds.update(m.thresholds)
    manifest = {
        "models": {m.name: {"version": m.version, "sha256": m.sha256} for m in stored},
        "thresholds": thresholds,
    }
    scorer = Scorer(artifacts, manifest, encoder=shipped_encoder())
    # The languages are not versioned in the registry yet: the shipped ones serve beside it.
    scorer.languages = shipped_languages(scorer)
    return scorer


def shipped_languages(english: Scorer) -> dict[str, Scorer]:
    """The shipped language models (``models.languages``) beside a registry-built scorer."""
    from models.artifacts import ARTIFACTS_DIR, load_model, read_manifest
    from models.languages import load_languages

    try:
        manifest = read_manifest(ARTIFACTS_DIR)
    except FileNotFoundError:
        return {}
    return load_languages(ARTIFACTS_DIR, manifest, english, load_model)


def shipped_encoder() -> Any:
    """The shipped encoder with its combination (``models.encoder.load_encoder``), or None.

    Registry versions are linear models; the encoder is not retrained from moderators'
    labels, so every scorer uses the one in ``models/artifacts`` when the setting and the
    manifest turn it on (its stackers were fitted for the shipped linear model).
    """
    from models.artifacts import ARTIFACTS_DIR, read_manifest
    from models.encoder import encoder_setting, load_encoder

    try:
        manifest = read_manifest(ARTIFACTS_DIR)
    except FileNotFoundError:
        return None
    key = (encoder_setting(), json.dumps(manifest.get("encoder"), sort_keys=True))
    if key not in _ENCODERS:
        _ENCODERS.clear()
        _ENCODERS[key] = load_encoder(ARTIFACTS_DIR, manifest)
    return _ENCODERS[key]


# One loaded encoder per (setting, manifest entry): a promotion rebuilds the scorer, not it.
_ENCODERS: dict[tuple[str, str], Any] = {}
