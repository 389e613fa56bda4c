"""The shipped artifacts on the hand-written case sets (``models/testsets``): accuracy per case.

The shipped models are trained on all public data, so these sets are the only thing they are
scored on here. Each case has ``text`` (and optional form fields), ``case`` (its type) and
``expect`` ({label: 0|1}); a case passes when every expected label is on the right side of its
shipped threshold. ``alt-profanity-check`` is scored where a single "offensive" score can agree.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from models.artifacts import load_scorer
from models.evaluate.references import profanity_check_scores
from models.record import CommentRecord

TESTSETS = Path(__file__).resolve().parents[1] / "testsets"
CASE_SETS = ("functional.jsonl", "false_alarms.jsonl", "spam_cases.jsonl")


def shipped_modes(artifacts_dir: Path, modes: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """``(mode, scorer)`` for each ``MODERATION_ENCODER`` mode the artifacts can serve (a mode
    that needs the encoder is skipped when none is shipped or on); the setting is restored."""
    before = os.environ.get("MODERATION_ENCODER")
    try:
        for mode in modes:
            os.environ["MODERATION_ENCODER"] = mode
            scorer = load_scorer(artifacts_dir)
            if mode != "off" and scorer.encoder is None:
                continue
            yield mode, scorer
    finally:
        if before is None:
            os.environ.pop("MODERATION_ENCODER", None)
        else:
            os.environ["MODERATION_ENCODER"] = before


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, blank lines skipped."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def case_sets(artifacts_dir: Path) -> dict[str, Any]:
    """The shipped artifacts on the hand-written sets: accuracy per case type, and the failures."""
    scorer = load_scorer(artifacts_dir)
    th = scorer.thresholds
    out: dict[str, Any] = {}
    for fname in CASE_SETS:
        path = TESTSETS / fname
        if not path.exists():
            continue
        cases = read_jsonl(path)
        scores = scorer.score([CommentRecord.from_fields(c) for c in cases])
        apc = profanity_check_scores([c["text"] for c in cases])
        per: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": 0, "ok": 0, "apc_ok": 0})
        failures = []
        for c, s, a in zip(cases, scores, apc, strict=True):
            ok = all((s[k] >= th[k]) == bool(v) for k, v in c["expect"].items())
            tox_exp = c["expect"].get("toxicity")
            if tox_exp is None:
                # Cases that expect no insult/attack/threat: apc can only say "offensive".
                tox_exp = 0 if all(v == 0 for v in c["expect"].values()) else None
            d = per[c["case"]]
            d["n"] += 1
            d["ok"] += int(ok)
            if tox_exp is not None and "spam" not in c["expect"]:
                d["apc_ok"] += int((a >= 0.5) == bool(tox_exp))
            else:
                d["apc_ok"] = None
            if not ok:
                failures.append(
                    {
                        "case": c["case"],
                        "text": c["text"],
                        "scores": {k: round(s[k], 3) for k in c["expect"]},
                    }
                )
        for d in per.values():
            d["accuracy"] = round(d["ok"] / d["n"], 3)
            if d["apc_ok"] is not None:
                d["apc_accuracy"] = round(d["apc_ok"] / d["n"], 3)
        out[fname.removesuffix(".jsonl")] = {"per_case": dict(per), "failures": failures}
    return out
