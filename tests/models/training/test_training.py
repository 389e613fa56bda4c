"""models.training.train: a small sample (with feedback) trains artifacts the scorer loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.artifacts import UntrustedModelError, load_model, load_scorer
from models.labels import LABELS
from models.training.datasets import Example as Ex
from models.training.datasets import default_data_dir

DATA = default_data_dir()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    if not (DATA / "raw").is_dir():
        pytest.skip(f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)")
    out = tmp_path_factory.mktemp("artifacts")
    fb = out / "feedback.jsonl"
    fb.write_text(
        json.dumps({"text": "buy my stuff at spam dot com", "labels": {"spam": 1}}) + "\n"
    )
    from models.training.train import train

    manifest = train(DATA, out, sample=150, feedback=fb, seed=1)
    return out, manifest


@pytest.mark.slow
def test_train_small_sample_writes_loadable_artifacts(small: tuple[Path, dict]) -> None:
    out, manifest = small
    assert set(manifest["models"]) == {"spam", "toxicity"}
    for name, entry in manifest["models"].items():
        assert (out / entry["file"]).exists()
        assert entry["version"].startswith(f"{name}-")
        # Trained with feedback: the version says so and when.
        assert "+fb." in entry["version"]
        assert entry["data"] and all(d["licence"] for d in entry["data"])
    assert set(manifest["thresholds"]) == set(LABELS)
    scorer = load_scorer(out)
    (s,) = scorer.score([{"text": "you stupid idiot", "name": "x"}])
    assert tuple(s) == LABELS


@pytest.mark.slow
def test_checksum_mismatch_refused(small: tuple[Path, dict], tmp_path: Path) -> None:
    out, manifest = small
    entry = manifest["models"]["spam"]
    with pytest.raises(UntrustedModelError, match="checksum"):
        load_model(out / entry["file"], sha256="0" * 64)


def test_sample_keeps_every_feedback_row() -> None:
    from models.training.train import sample_rows

    rows = [Ex(f"public {i}", "a", "a", {"spam": 0}) for i in range(10)]
    rows += [Ex(f"moderated {i}", "feedback", "feedback", {"spam": 1}) for i in range(5)]
    kept = sample_rows(rows, 2, seed=0)
    assert sum(r.source == "a" for r in kept) == 2
    assert sum(r.source == "feedback" for r in kept) == 5
