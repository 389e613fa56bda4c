"""Which languages the shipped models read, and which labels each scores: read from the manifest.

JSON only (no scikit-learn, no numpy), so the web process may call it (inside a function, per
the import rules) to check a Perspective request's ``languages`` before any worker is asked:
English scores every label; another language scores ``spam`` (the shared model) and the
labels its own data defines (``models.languages``).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.labels import LABELS, SPAM

_MANIFEST = Path(__file__).resolve().parent / "artifacts" / "manifest.json"


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _manifest(manifest: str | Path | None) -> dict[str, Any]:
    path = Path(manifest) if manifest is not None else _MANIFEST
    try:
        return _read(str(path), path.stat().st_mtime)
    except (OSError, ValueError):
        return {}


def language_labels(manifest: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """``{code: labels}`` for English and every shipped language (re-read when the file changes)."""
    out: dict[str, tuple[str, ...]] = {"en": LABELS}
    for code, entry in (_manifest(manifest).get("languages") or {}).items():
        labels = set(entry.get("labels") or ())
        out[code] = tuple(k for k in LABELS if k == SPAM or k in labels)
    return out


def encoder_setting() -> str:
    """``MODERATION_ENCODER``: ``on`` (default: as the manifest's ``encoder.default`` says),
    ``off`` (linear models only), ``stack`` or ``cascade`` (encoder on, in that mode)."""
    value = os.environ.get("MODERATION_ENCODER", "on").strip().lower()
    if value in ("0", "false", "no", "off"):
        return "off"
    if value not in ("on", "stack", "cascade", "1", "true", "yes", ""):
        raise ValueError(f"MODERATION_ENCODER must be on, off, stack or cascade, not {value!r}")
    return value if value in ("stack", "cascade") else "on"


def encoder_thresholds(manifest: str | Path | None = None) -> dict[str, float]:
    """The combined scores' hold thresholds when the shipped encoder is on, else ``{}``.

    What the workers' scorer applies over the linear models' thresholds (``Scorer``): the web
    process needs them too (the calibrated Perspective scores, the page's thresholds) and must
    not load the encoder to learn them.
    """
    entry = _manifest(manifest).get("encoder") or {}
    setting = encoder_setting()
    if not entry or setting == "off" or (setting == "on" and entry.get("default", "on") == "off"):
        return {}
    return {k: float(v) for k, v in (entry.get("thresholds") or {}).items()}


def language_thresholds(language: str, manifest: str | Path | None = None) -> dict[str, float]:
    """The hold thresholds of a shipped language's model, with the shared spam model's."""
    found = _manifest(manifest)
    entry = (found.get("languages") or {}).get(language) or {}
    thresholds = {SPAM: float(found.get("thresholds", {}).get(SPAM, 0.5))}
    thresholds.update({k: float(v) for k, v in (entry.get("thresholds") or {}).items()})
    return thresholds
