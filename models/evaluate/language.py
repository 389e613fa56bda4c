"""The language gate on real English comments: how often it would wrongly say "not English".

Every comment of these corpora is English (a few YouTube and Kaggle rows are not, and those are
listed by text in the report so a reader can judge).  A false "not English" would leave a
comment unscored (``language:<code>``), so this rate is the cost of the gate.  The sample is
fixed (seeded) and small enough to run in seconds.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

from models.language import unsupported_language
from models.training.datasets import SOURCES

# Source -> how many of its comments to check (news, social, video, talk, SMS).
SAMPLES: dict[str, int] = {
    "civil-comments-toxic-spans": 400,
    "kaggle-insults": 300,
    "youtube-spam-collection": 300,
    "youtube-spam-2014-pilot": 200,
    "jigsaw-toxic-predibase-pools": 300,
    "sms-spam-collection": 300,
}


def language_gate(data_dir: Path, seed: int = 0) -> dict[str, Any]:
    """Per source: comments checked, how many the gate calls not English, and which."""
    rng = random.Random(seed)
    per_source: dict[str, Any] = {}
    total = flagged = 0
    for source, n in SAMPLES.items():
        try:
            texts = sorted({ex.text for ex in SOURCES[source].load(Path(data_dir))})
        except FileNotFoundError:
            continue
        rng.shuffle(texts)
        sample = texts[:n]
        found = [(code, text) for text in sample if (code := unsupported_language(text))]
        per_source[source] = {
            "checked": len(sample),
            "not_english": len(found),
            "rate": round(len(found) / max(1, len(sample)), 4),
            "codes": dict(Counter(code for code, _ in found)),
            "examples": [{"code": c, "text": t[:160]} for c, t in found[:10]],
        }
        total += len(sample)
        flagged += len(found)
    return {
        "checked": total,
        "not_english": flagged,
        "rate": round(flagged / max(1, total), 4),
        "per_source": per_source,
    }
