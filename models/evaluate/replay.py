"""Shipped vs after learning on a site's future comments: the replay benchmark's figures.

``bench/bench_replay.py`` replays a labelled stream through the service; this module turns what
the service did with the stream's future comments (its verdicts and toxicity scores, once with
the shipped models and once with the site's layer) into the table, each figure with a paired
bootstrap 95% confidence interval (the same resampled comments for both sides). Nothing here
knows about the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.evaluate.gate import CONFIDENCE, RESAMPLES, auc_rows, interval


def shares(held: np.ndarray, group: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The share of ``group`` rows ``held`` in each resample (NaN where it has none)."""
    counts = group[draws].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, (held & group)[draws].sum(axis=1) / counts, np.nan)


def figure(shipped: np.ndarray, learned: np.ndarray, point: tuple[float, float]) -> dict[str, Any]:
    """Both sides' point values and intervals, and the difference (learned - shipped)'s."""
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = learned / shipped - 1
    return {
        "shipped": round(point[0], 4),
        "shipped_ci": interval(shipped),
        "learned": round(point[1], 4),
        "learned_ci": interval(learned),
        "difference": round(point[1] - point[0], 4),
        "difference_ci": interval(learned - shipped),
        "relative": round(point[1] / point[0] - 1, 4) if point[0] else None,
        "relative_ci": interval(np.where(np.isfinite(relative), relative, np.nan)),
    }


def compare_future(
    toxicity: Sequence[int],
    shipped_scores: Sequence[float],
    learned_scores: Sequence[float],
    shipped_held: Sequence[bool],
    learned_held: Sequence[bool],
    seed: int = 0,
) -> dict[str, Any]:
    """The table's figures on future comments: toxicity ROC AUC, fine comments held or rejected,
    abusive comments held or rejected; shipped vs learned, with paired 95% CIs.

    ``toxicity`` is each comment's true label (1 abusive, 0 fine); ``*_held`` whether the
    service held or rejected it.
    """
    y = np.asarray(toxicity, dtype=int)
    ps, pl = np.asarray(shipped_scores, dtype=float), np.asarray(learned_scores, dtype=float)
    hs, hl = np.asarray(shipped_held, dtype=bool), np.asarray(learned_held, dtype=bool)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, y.size, size=(RESAMPLES, y.size))
    fine, abusive = y == 0, y == 1
    auc_s, auc_l = auc_rows(y[draws], ps[draws]), auc_rows(y[draws], pl[draws])
    point_auc = (float(auc_rows(y[None], ps[None])[0]), float(auc_rows(y[None], pl[None])[0]))
    return {
        "comments": int(y.size),
        "fine": int(fine.sum()),
        "abusive": int(abusive.sum()),
        "confidence": CONFIDENCE,
        "resamples": RESAMPLES,
        "toxicity_auc": figure(auc_s, auc_l, point_auc),
        "fine_held": figure(
            shares(hs, fine, draws),
            shares(hl, fine, draws),
            (float(hs[fine].mean()), float(hl[fine].mean())),
        ),
        "abusive_held": figure(
            shares(hs, abusive, draws),
            shares(hl, abusive, draws),
            (float(hs[abusive].mean()), float(hl[abusive].mean())),
        ),
    }


def meets_target(result: Mapping[str, Any], fall: float = 0.30) -> bool:
    """Issue 20's target: fine comments held fall by at least ``fall`` with a CI of the
    difference below zero, and abusive ones are caught at least as often (point estimate)."""
    fine, abusive = result["fine_held"], result["abusive_held"]
    ci = fine["difference_ci"]
    return bool(
        fine["relative"] is not None
        and fine["relative"] <= -fall
        and ci is not None
        and ci[1] < 0
        and abusive["difference"] >= 0
    )


def _cell(entry: Mapping[str, Any], side: str, unit: str) -> str:
    """A value and its interval, both times 100."""
    value, ci = entry[side], entry[f"{side}_ci"]
    if value is None or ci is None:
        return "-"
    return f"{value * 100:.1f}{unit} ({ci[0] * 100:.1f}…{ci[1] * 100:.1f})"


def markdown_table(results: Sequence[Mapping[str, Any]]) -> str:
    """One row per stream and figure: shipped, after learning, the change; 95% CIs."""
    lines = [
        "| stream | future comments (fine / abusive) | figure | shipped | after learning "
        "| change | relative change |",
        "|---|---|---|---|---|---|---|",
    ]
    names = (
        ("toxicity_auc", "toxicity ROC AUC (x100)", ""),
        ("fine_held", "fine held or rejected", "%"),
        ("abusive_held", "abusive held or rejected", "%"),
    )
    for result in results:
        future = result["future"]
        for key, title, unit in names:
            entry = future[key]
            diff, ci = entry["difference"], entry["difference_ci"]
            change = f"{diff * 100:+.1f} ({ci[0] * 100:+.1f}…{ci[1] * 100:+.1f})" if ci else "-"
            rel, rci = entry["relative"], entry["relative_ci"]
            relative = (
                f"{rel * 100:+.0f}% ({rci[0] * 100:+.0f}…{rci[1] * 100:+.0f}%)"
                if unit and rel is not None and rci
                else "-"
            )
            lines.append(
                f"| {result['source']} | {future['comments']} ({future['fine']} / "
                f"{future['abusive']}) | {title} | {_cell(entry, 'shipped', unit)} | "
                f"{_cell(entry, 'learned', unit)} | {change} | {relative} |"
            )
    return "\n".join(lines) + "\n"
