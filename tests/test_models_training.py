"""Training on a small sample, the skops round trip and the dataset loaders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from models import artifacts
from models.artifacts import (
    UntrustedModelError,
    load_model,
    load_model_bytes,
    load_scorer,
    save_model,
)
from models.datasets import Example as Ex
from models.datasets import decode_kaggle, dedupe, default_data_dir, load_all
from models.labels import LABELS

DATA = default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "raw").is_dir(),
    reason=f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    if not (DATA / "raw").is_dir():
        pytest.skip(f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)")
    out = tmp_path_factory.mktemp("artifacts")
    fb = out / "feedback.jsonl"
    fb.write_text(
        json.dumps({"text": "buy my stuff at spam dot com", "labels": {"spam": 1}}) + "\n"
    )
    from models.train import train

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


def test_round_trip_with_trusted_types(tmp_path: Path) -> None:
    clf = LogisticRegression().fit([[0.0], [1.0], [0.1], [0.9]], [0, 1, 0, 1])
    digest = save_model({"clf": clf}, tmp_path / "m.skops")
    back = load_model(tmp_path / "m.skops", sha256=digest)
    assert back["clf"].predict([[1.0]])[0] == 1
    back2 = load_model_bytes((tmp_path / "m.skops").read_bytes(), sha256=digest)
    assert back2["clf"].coef_.tolist() == clf.coef_.tolist()


def test_untrusted_type_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    path = tmp_path / "evil.skops"
    sio.dump(DecisionTreeClassifier().fit([[0], [1]], [0, 1]), path)
    with pytest.raises(UntrustedModelError, match="not on the trusted list"):
        load_model(path)
    with pytest.raises(UntrustedModelError):
        save_model(DecisionTreeClassifier().fit([[0], [1]], [0, 1]), tmp_path / "x.skops")
    with pytest.raises(UntrustedModelError):
        load_model_bytes(b"not a zip file")


def test_trusted_list_is_explicit() -> None:
    assert "sklearn.linear_model._logistic.LogisticRegression" in artifacts.TRUSTED_TYPES
    assert not any(t.startswith("builtins.eval") for t in artifacts.TRUSTED_TYPES)


def test_decode_kaggle() -> None:
    # As the csv module returns it: one pair of quotes left, bytes and newlines escaped.
    raw = '"i\\xa0don\\xe2\\x80\\x99t know\\\\nreally"'
    assert decode_kaggle(raw) == "i\xa0don\u2019t know\nreally"


def test_dedupe_merges_and_drops_conflicts() -> None:
    rows = [
        Ex("Hello  World", "a", "a", {"toxicity": 0}),
        Ex("hello world!", "a", "a", {"toxicity": 1, "insult": 0}),
        Ex("HELLO WORLD", "b", "b", {"spam": 1}),
        Ex("other", "a", "a", {"toxicity": 1}),
    ]
    out = dedupe(rows)
    assert len(out) == 2
    first = out[0]
    assert first.source == "a" and first.labels == {"insult": 0}


def test_dedupe_lets_feedback_win_over_public_duplicates() -> None:
    rows = [
        Ex("Visit my blog", "youtube-spam-collection", "youtube", {"spam": 1}),
        Ex("You fool", "kaggle-insults", "kaggle", {"toxicity": 1, "insult": 1}),
        Ex("visit my blog!", "feedback", "feedback", {"spam": 0}),
        Ex("you FOOL", "feedback", "feedback", {"toxicity": 0}),
        Ex("You fool.", "feedback", "feedback", {"toxicity": 1}),
    ]
    out = {r.text: r for r in dedupe(rows)}
    assert out["visit my blog!"].source == "feedback"
    assert out["visit my blog!"].labels == {"spam": 0}
    # The latest moderator decision wins, and the public insult label is not inherited.
    assert out["You fool."].labels == {"toxicity": 1}
    assert len(out) == 2


def test_sample_keeps_every_feedback_row() -> None:
    from models.train import sample_rows

    rows = [Ex(f"public {i}", "a", "a", {"spam": 0}) for i in range(10)]
    rows += [Ex(f"moderated {i}", "feedback", "feedback", {"spam": 1}) for i in range(5)]
    kept = sample_rows(rows, 2, seed=0)
    assert sum(r.source == "a" for r in kept) == 2
    assert sum(r.source == "feedback" for r in kept) == 5


@needs_data
def test_loaders_map_labels_partially() -> None:
    rows = load_all(DATA, sources=["youtube-spam-collection", "olid-offenseval2019"])
    yt = [r for r in rows if r.source == "youtube-spam-collection"]
    olid = [r for r in rows if r.source == "olid-offenseval2019"]
    assert yt and all(set(r.labels) == {"spam"} for r in yt)
    assert {r.video for r in yt} == {"Psy", "KatyPerry", "LMFAO", "Eminem"}
    assert not any("\ufeff" in r.text for r in yt)
    assert olid and all("spam" not in r.labels for r in olid)
    assert any(r.labels.get("insult") == 1 for r in olid)
    # Rows texts are unique after deduplication.
    assert len({r.text.lower() for r in rows}) >= len(rows) - 5
