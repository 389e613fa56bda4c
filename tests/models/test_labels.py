"""models.labels: the one list of label names, importable with no dependencies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from models import spam, toxicity
from models.artifacts import read_manifest
from models.labels import LABELS, SPAM, TOXICITY_LABELS, Label

ROOT = Path(__file__).resolve().parents[2]


def test_importing_labels_loads_nothing_else() -> None:
    """moderation imports it at module import time: it must stay free of dependencies."""
    code = (
        "import sys; before = set(sys.modules); import models.labels; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.replace("'", '"')) == ["models", "models.labels"]


def test_labels_are_plain_strings_in_report_order() -> None:
    assert LABELS == (SPAM, *TOXICITY_LABELS) == tuple(Label)
    assert all(type(k) is str for k in LABELS)
    assert json.dumps({Label.THREAT: Label.THREAT}) == '{"threat": "threat"}'
    assert len(set(LABELS)) == len(LABELS)


def test_models_and_shipped_manifest_cover_exactly_the_labels() -> None:
    assert (*spam.LABELS, *toxicity.LABELS) == LABELS
    manifest = read_manifest()
    assert set(manifest["label_models"]) == set(LABELS)
    assert set(manifest["thresholds"]) == set(LABELS)
