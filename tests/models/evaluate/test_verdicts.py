"""The evaluation's verdict is the service's: the default policy holds what ``held`` says."""

from __future__ import annotations

import random

from models.evaluate.verdicts import held
from models.labels import LABELS
from moderation.policy import decide


def test_held_matches_the_default_policy() -> None:
    rng = random.Random(0)
    thresholds = {k: rng.uniform(0.2, 0.9) for k in LABELS}
    for _ in range(2000):
        scores = {k: rng.random() for k in LABELS}
        verdict = decide(scores, None, thresholds)
        assert (verdict.status != "approved") == bool(held(scores, thresholds))
        if verdict.status == "held":
            assert set(verdict.reasons) == set(held(scores, thresholds))
