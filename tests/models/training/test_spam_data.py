"""The spam training sources: the 2014 YouTube pilot and the optional SpamAssassin corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.training.datasets import dedupe_key, default_data_dir
from models.training.datasets.spam import (
    SPAMASSASSIN_ENV,
    clean_youtube,
    load_spamassassin,
    load_youtube,
    load_youtube_pilot,
    spamassassin_dir,
)

DATA = default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "raw/youtube-spam-2014-pilot").is_dir(),
    reason=f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)",
)


def test_clean_youtube_removes_markup_and_bom() -> None:
    raw = 'I&#39;m new<br />see <a href="http://x.example">http://x.example</a>\ufeff'
    assert clean_youtube(raw) == "I'm new\nsee http://x.example"


@needs_data
def test_pilot_is_deduplicated_against_the_collection() -> None:
    collection = list(load_youtube(DATA))
    pilot = list(load_youtube_pilot(DATA))
    keys = {dedupe_key(r.text) for r in collection}
    assert pilot and not any(dedupe_key(r.text) in keys for r in pilot)
    assert not any("\ufeff" in r.text or "&#39;" in r.text for r in pilot)
    videos = {r.video for r in pilot}
    assert videos == {"PlayStation4", "Avengers", "Psy", "KatyPerry", "PewDiePie"}
    # The two videos both sets have carry the same name: held out together.
    assert {"Psy", "KatyPerry"} <= {r.video for r in collection}
    assert len({r.text for r in pilot if r.video == "PewDiePie"}) > 300  # rounds 1 and 2
    assert all(r.labels["spam"] in (0, 1) for r in pilot)


def _write(path: Path, raw: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw, encoding="latin-1")


def test_spamassassin_found_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "package" / "data"
    _write(
        data / "spam-1" / "00001.abc.txt",
        "Subject: x\n\nCheap meds at http://pills.example.biz now!",
    )
    _write(
        data / "easy-ham-1" / "00001.def.txt",
        "Subject: y\n\nThe build is green again, see the log.",
    )
    monkeypatch.setenv(SPAMASSASSIN_ENV, str(tmp_path))
    assert spamassassin_dir() == data
    rows = {r.text: r.labels["spam"] for r in load_spamassassin(DATA)}
    assert rows == {
        "Cheap meds at http://pills.example.biz now!": 1,
        "The build is green again, see the log.": 0,
    }


def test_spamassassin_absent_yields_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPAMASSASSIN_ENV, str(tmp_path / "missing"))
    assert spamassassin_dir() is None
    assert list(load_spamassassin(DATA)) == []
