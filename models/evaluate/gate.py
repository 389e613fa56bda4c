"""The promotion gate: is a candidate measurably better than the active version on the same rows?

Both versions score the same held-out moderator decisions (missed abuse included: a rejected
comment the models had approved is a positive). They are compared two ways, each with a paired
bootstrap 95% confidence interval of the difference (candidate - active; the same resampled rows
for both, so what the two share cancels out):

- per label, ROC AUC; a label is judged only with at least :data:`MIN_POSITIVES` positives and
  as many negatives among the rows (below that one row moves the AUC by 1/20 or more, and the
  interval spans any plausible change: a label with 5 rows and 1 positive once swung the gate);
- the verdict at each version's own thresholds: the share of fine comments (every known label 0)
  it would hold, and the share of abusive ones (a known label 1) it would catch. A row is held
  when any of the model's labels reaches its threshold.

:func:`refusal` says why a candidate may not replace the active version: too few rows to tell
(fewer than :data:`MIN_POSITIVES` fine or abusive rows), measurably worse on a judged label or on
the verdict, or not measurably better on anything. Nothing here knows about databases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

# Per label positives (and negatives), and fine and abusive rows for the verdict.
MIN_POSITIVES = 20
RESAMPLES = 1000
CONFIDENCE = 0.95


def auc_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``p`` (resamples x items) against ``y`` (same shape); NaN where a
    resample lacks a class. Mann-Whitney with mid-ranks, so ties count a half."""
    ranks = rankdata(p, axis=1)
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((ranks * y).sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)
    return np.where((positives > 0) & (negatives > 0), auc, np.nan)


def interval(values: np.ndarray) -> list[float] | None:
    """The central :data:`CONFIDENCE` interval of bootstrap values (NaN ignored)."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def compare(
    labels: Sequence[str],
    truth: np.ndarray,
    candidate: np.ndarray,
    active: np.ndarray,
    candidate_thresholds: Mapping[str, float],
    active_thresholds: Mapping[str, float],
    seed: int = 0,
) -> dict[str, Any]:
    """Candidate vs active on the same rows: per-label AUC and the verdict, with paired CIs.

    ``truth`` is rows x labels with NaN where a row does not know a label; ``candidate`` and
    ``active`` are the two versions' probabilities, same shape.
    """
    rng = np.random.default_rng(seed)
    rows = truth.shape[0]
    draws = rng.integers(0, rows, size=(RESAMPLES, rows)) if rows else np.zeros((0, 0), int)
    result: dict[str, Any] = {"rows": rows, "min_positives": MIN_POSITIVES, "labels": {}}
    for j, label in enumerate(labels):
        known = ~np.isnan(truth[:, j])
        y = truth[known, j].astype(int)
        entry: dict[str, Any] = {
            "rows": int(known.sum()),
            "positives": int(y.sum()),
            "negatives": int((y == 0).sum()),
        }
        entry["judged"] = min(entry["positives"], entry["negatives"]) >= MIN_POSITIVES
        if entry["positives"] and entry["negatives"]:
            pc, pa = candidate[known, j], active[known, j]
            entry["candidate_auc"] = round(float(auc_rows(y[None], pc[None])[0]), 4)
            entry["active_auc"] = round(float(auc_rows(y[None], pa[None])[0]), 4)
            entry["difference"] = round(entry["candidate_auc"] - entry["active_auc"], 4)
            picks = rng.integers(0, y.size, size=(RESAMPLES, y.size))
            entry["ci"] = interval(auc_rows(y[picks], pc[picks]) - auc_rows(y[picks], pa[picks]))
        result["labels"][label] = entry
    known_any = ~np.isnan(truth).all(axis=1)
    abusive = np.nan_to_num(truth, nan=0).max(axis=1) == 1
    fine = known_any & ~abusive
    held_c = held(candidate, labels, candidate_thresholds)
    held_a = held(active, labels, active_thresholds)
    result["fine"], result["abusive"] = int(fine.sum()), int(abusive.sum())
    result["verdict"] = {
        "fine_held": share_change(fine, held_c, held_a, draws),
        "abusive_caught": share_change(abusive, held_c, held_a, draws),
    }
    return result


def held(probabilities: np.ndarray, labels: Sequence[str], thresholds: Mapping[str, float]) -> Any:
    """Whether each row reaches any label's threshold (what the version would hold)."""
    cut = np.array([float(thresholds.get(label, 0.5)) for label in labels])
    return (probabilities >= cut).any(axis=1)


def share_change(
    group: np.ndarray, held_c: np.ndarray, held_a: np.ndarray, draws: np.ndarray
) -> dict[str, Any]:
    """The share of ``group`` rows each version holds, and the paired CI of the difference."""
    if not group.any():
        return {"rows": 0, "candidate": None, "active": None, "difference": None, "ci": None}
    candidate, active = float(held_c[group].mean()), float(held_a[group].mean())
    counts = group[draws].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = ((held_c & group)[draws].sum(axis=1) - (held_a & group)[draws].sum(axis=1)) / counts
    return {
        "rows": int(group.sum()),
        "candidate": round(candidate, 4),
        "active": round(active, 4),
        "difference": round(candidate - active, 4),
        "ci": interval(np.where(counts > 0, boot, np.nan)),
    }


def refusal(comparison: Mapping[str, Any], name: str, version: str) -> str | None:
    """Why ``version`` may not replace the active one, from :func:`compare`; None if it may."""
    fine, abusive = comparison["fine"], comparison["abusive"]
    if min(fine, abusive) < MIN_POSITIVES:
        return (
            f"too few held-out decisions to tell: {comparison['rows']} rows judge {name} "
            f"({fine} fine, {abusive} abusive); at least {MIN_POSITIVES} of each are needed "
            f"(below that one row moves a share by 5 points or more, and the confidence interval "
            f"spans any plausible change); decide more comments or use --force"
        )
    judged = {k: v for k, v in comparison["labels"].items() if v["judged"] and v.get("ci")}
    worse = [
        f"{label} AUC {v['candidate_auc']} vs {v['active_auc']} (95% CI of the difference "
        f"{v['ci'][0]} … {v['ci'][1]})"
        for label, v in judged.items()
        if v["ci"][1] < 0
    ]
    verdict = comparison["verdict"]
    fine_held, caught = verdict["fine_held"], verdict["abusive_caught"]
    if fine_held["ci"] and fine_held["ci"][0] > 0:
        worse.append(
            f"holds more fine comments ({fine_held['candidate']} vs {fine_held['active']})"
        )
    if caught["ci"] and caught["ci"][1] < 0:
        worse.append(f"catches fewer abusive ones ({caught['candidate']} vs {caught['active']})")
    if worse:
        return f"{version} is worse than the active version: {'; '.join(worse)}; use --force"
    better = (
        any(v["ci"][0] > 0 for v in judged.values())
        or bool(fine_held["ci"] and fine_held["ci"][1] < 0)
        or bool(caught["ci"] and caught["ci"][0] > 0)
    )
    if not better:
        unjudged = sorted(set(comparison["labels"]) - set(judged))
        return (
            f"{version} is not measurably better than the active version on {comparison['rows']} "
            f"held-out rows: no judged label's AUC ({', '.join(judged) or 'none'}) nor the "
            f"verdict improves with 95% confidence"
            + (
                f" (not judged, fewer than {MIN_POSITIVES} positives: {', '.join(unjudged)})"
                if unjudged
                else ""
            )
            + "; use --force"
        )
    return None
