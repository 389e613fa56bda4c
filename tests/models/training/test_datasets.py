"""models.training.datasets: decoding, deduplication across sources, the partial label mappings."""

from __future__ import annotations

import pytest

from models.training.datasets import Example as Ex
from models.training.datasets import dedupe, default_data_dir, load_all
from models.training.datasets.comments import decode_kaggle

DATA = default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "raw").is_dir(),
    reason=f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)",
)


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
