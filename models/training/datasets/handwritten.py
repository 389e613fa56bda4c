"""The project's hand-written training sets and moderator feedback, both JSONL of labelled rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from models.labels import LABELS as ALL_LABELS
from models.training.datasets.rows import Example, Loader, clean_text
from models.training.datasets.rows import example as _ex

TESTSETS = Path(__file__).resolve().parents[2] / "testsets"


def handwritten_loader(source: str, file: str) -> Loader:
    """The loader of the hand-written set ``source`` in ``models/testsets/<file>``.

    Threats: public data has few direct threats ("I will kill you"); Gab's calls for violence
    and implicit-hate's "threatening" are mostly veiled or group-level.  Spam: neither spam
    corpus has the crypto/forex "investment" spam with a Telegram or WhatsApp contact that
    comment sections get, nor a named reader citing a source.  The data folder is unused.
    """

    def load(data_dir: Path) -> Iterator[Example]:
        path = TESTSETS / file
        if not path.exists():
            return
        for ex in load_feedback(path):
            ex.source = ex.group = source
            yield ex

    return load


def load_feedback(path: Path) -> Iterator[Example]:
    """Moderator labels, JSONL ``{"text","name","email","url","labels":{label: 0|1}}``."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            text = clean_text(r.get("text") or "")
            labels = {k: int(v) for k, v in (r.get("labels") or {}).items() if k in ALL_LABELS}
            if text and labels:
                yield _ex(
                    text,
                    "feedback",
                    labels,
                    name=r.get("name"),
                    email=r.get("email"),
                    url=r.get("url"),
                )
