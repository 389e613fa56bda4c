"""Evaluate the models the honest way and write the report and the model card.

What ``evaluate(data_dir, artifacts_dir)`` measures:

* toxicity labels, **leave-one-source-out**: for every source group, a model with the shipped
  configuration is trained on all the other groups and scored on the held-out one, next to a
  plain TF-IDF + logistic regression baseline trained on the same rows and the pretrained
  ``alt-profanity-check`` package;
* spam, **leave-one-video-out** on the YouTube collection (SMS and the weak negatives always
  in training), next to the same plain baseline;
* obfuscation robustness: the same held-out rows perturbed with ``models.perturb``;
* calibration (expected calibration error and a reliability table) of the held-out scores;
* the shipped artifacts on the hand-written functional, false-alarm and spam case sets
  (``models/testsets``), accuracy per case type;
* cost, by running ``bench/bench_models.py`` when it is there.

The shipped artifacts are trained on everything, so only the hand-written sets are scored with
them; every figure on public data comes from a model that did not see that source.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import subprocess
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from models.artifacts import load_scorer, read_manifest, write_manifest
from models.datasets import GROUPS, LOADERS, TOX_LABELS, Example, default_data_dir, load_all
from models.scorer import LinearLabels
from models.train import to_record, train_spam, train_toxicity

TESTSETS = Path(__file__).resolve().parent / "testsets"
REPO = Path(__file__).resolve().parents[1]
PUBLIC_GROUPS = {GROUPS.get(s, s) for s in LOADERS}
# Perturbed copies per held-out source (a sample keeps the run on two cores reasonable).
PERTURB_ROWS = 3000


def _safe(fn: Any, y: np.ndarray, p: np.ndarray) -> float | None:
    if len(set(y.tolist())) < 2:
        return None
    return round(float(fn(y, p)), 4)


def label_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """ROC AUC, PR AUC and precision/recall/F1 at ``threshold``."""
    pred = p >= threshold
    return {
        "n": len(y),
        "pos": int(y.sum()),
        "roc_auc": _safe(roc_auc_score, y, p),
        "pr_auc": _safe(average_precision_score, y, p),
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "threshold": threshold,
    }


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error and a reliability table (equal-width bins)."""
    edges = np.linspace(0, 1, bins + 1)
    table = []
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if m.sum() == 0:
            continue
        conf, acc = float(p[m].mean()), float(y[m].mean())
        ece += m.mean() * abs(conf - acc)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_p": conf, "rate": acc})
    brier = float(np.mean((p - y) ** 2))
    return {"ece": round(ece, 4), "brier": round(brier, 4), "table": table}


class PlainBaseline:
    """The reference: TF-IDF of raw text (sklearn defaults) + logistic regression per label."""

    def __init__(self, rows: Sequence[Example], labels: Sequence[str]) -> None:
        self.vec = TfidfVectorizer()
        X = self.vec.fit_transform([r.text for r in rows])
        self.heads = {}
        for label in labels:
            idx = [i for i, r in enumerate(rows) if label in r.labels]
            y = np.array([rows[i].labels[label] for i in idx])
            if len(idx) and y.min() != y.max():
                self.heads[label] = LogisticRegression(max_iter=1000).fit(X[idx], y)

    def proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        X = self.vec.transform(texts)
        return {k: m.predict_proba(X)[:, 1] for k, m in self.heads.items()}


def _apc(texts: Sequence[str]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from profanity_check import predict_prob

        return np.asarray(predict_prob(list(texts)), dtype=float)


def _perturbed(texts: Sequence[str], seed: int) -> list[str]:
    from models.perturb import perturb

    rng = random.Random(seed)
    return [perturb(t, rng) for t in texts]


def loso_toxicity(
    rows: Sequence[Example],
    thresholds: dict[str, float],
    seed: int = 0,
    groups: Sequence[str] | None = None,
    log: Any = print,
    progress_path: Path | None = None,
) -> dict[str, Any]:
    """Leave-one-source-group-out for the toxicity labels; per-source metrics and raw scores.

    ``progress_path`` receives the figures so far after every fold (a long run that is cut
    short still leaves its completed folds).
    """
    trows = [r for r in rows if any(k in r.labels for k in TOX_LABELS)]
    # Hand-written rows are always in training and never held out: figures are on public data.
    all_groups = sorted({r.group for r in trows if r.group in PUBLIC_GROUPS})
    per_source: dict[str, dict[str, Any]] = {}
    pooled: dict[str, list[tuple[int, float]]] = defaultdict(list)
    obf: dict[str, Any] = {}
    for g in groups or all_groups:
        t0 = time.time()
        train = [r for r in trows if r.group != g]
        test = [r for r in trows if r.group == g]
        art, _, _ = train_toxicity(train, seed)
        model = LinearLabels(art)
        base = PlainBaseline(train, TOX_LABELS)
        texts = [r.text for r in test]
        P = model.proba([to_record(r) for r in test])
        B = base.proba(texts)
        A = _apc(texts)
        # Obfuscation: a sample of the held-out rows, perturbed.
        rng = random.Random(seed)
        sample = rng.sample(range(len(test)), min(PERTURB_ROWS, len(test)))
        ptexts = _perturbed([texts[i] for i in sample], seed)
        Pp = model.proba([to_record({"text": t}) for t in ptexts])
        Bp = base.proba(ptexts)
        Ap = _apc(ptexts)
        for src in sorted({r.source for r in test}):
            si = np.array([i for i, r in enumerate(test) if r.source == src])
            res: dict[str, Any] = {}
            for j, label in enumerate(model.labels):
                ii = np.array([i for i in si if label in test[i].labels], dtype=int)
                if len(ii) == 0:
                    continue
                y = np.array([test[i].labels[label] for i in ii])
                m = label_metrics(y, P[ii, j], thresholds.get(label, 0.5))
                if label in B:
                    m["baseline_roc_auc"] = _safe(roc_auc_score, y, B[label][ii])
                    m["baseline_pr_auc"] = _safe(average_precision_score, y, B[label][ii])
                m["apc_roc_auc"] = _safe(roc_auc_score, y, A[ii])
                m["apc_pr_auc"] = _safe(average_precision_score, y, A[ii])
                res[label] = m
                pooled[label].extend(zip(y.tolist(), P[ii, j].tolist(), strict=True))
                if label == "toxicity":
                    sp_ = [k for k, i in enumerate(sample) if test[i].source == src]
                    yp = np.array([test[sample[k]].labels.get(label, -1) for k in sp_])
                    keep = yp >= 0
                    sp_arr = np.array(sp_, dtype=int)[keep]
                    yp = yp[keep]
                    orig_idx = np.array([sample[k] for k in sp_arr], dtype=int)
                    obf[src] = {
                        "n": len(yp),
                        "ours": _safe(roc_auc_score, yp, P[orig_idx, j]),
                        "ours_perturbed": _safe(roc_auc_score, yp, Pp[sp_arr, j]),
                        "baseline": _safe(roc_auc_score, yp, B[label][orig_idx]),
                        "baseline_perturbed": _safe(roc_auc_score, yp, Bp[label][sp_arr]),
                        "apc": _safe(roc_auc_score, yp, A[orig_idx]),
                        "apc_perturbed": _safe(roc_auc_score, yp, Ap[sp_arr]),
                    }
            per_source[src] = res
        log(f"  held out {g}: {len(test)} rows, {time.time() - t0:.0f}s")
        if progress_path is not None:
            progress_path.write_text(json.dumps({"per_source": per_source, "obfuscation": obf}))
    cal = {}
    for label, pairs in pooled.items():
        y = np.array([a for a, _ in pairs])
        p = np.array([b for _, b in pairs])
        if len(set(y.tolist())) == 2:
            cal[label] = calibration(y, p)
    return {"per_source": per_source, "obfuscation": obf, "calibration": cal}


def lovo_spam(
    rows: Sequence[Example], threshold: float, seed: int = 0, log: Any = print
) -> dict[str, Any]:
    """Leave-one-video-out for spam on YouTube; SMS and weak negatives stay in training."""
    videos = sorted({r.video for r in rows if r.source == "youtube-spam-collection"})
    out: dict[str, Any] = {"per_video": {}, "obfuscation": {}}
    ys, ps = [], []
    for v in videos:
        train = [r for r in rows if not (r.source == "youtube-spam-collection" and r.video == v)]
        test = [r for r in rows if r.source == "youtube-spam-collection" and r.video == v]
        art, _, srows = train_spam(train, seed)
        model = LinearLabels(art)
        base = PlainBaseline(srows, ("spam",))
        y = np.array([r.labels["spam"] for r in test])
        p = model.proba([to_record(r) for r in test])[:, 0]
        b = base.proba([r.text for r in test])["spam"]
        m = label_metrics(y, p, threshold)
        m["baseline_roc_auc"] = _safe(roc_auc_score, y, b)
        m["baseline_f1@0.5"] = round(float(f1_score(y, b >= 0.5)), 4)
        out["per_video"][v] = m
        ptexts = _perturbed([r.text for r in test], seed)
        recs = [to_record({"text": t, "name": r.name}) for t, r in zip(ptexts, test, strict=True)]
        pp = model.proba(recs)[:, 0]
        out["obfuscation"][v] = {
            "ours": m["roc_auc"],
            "ours_perturbed": _safe(roc_auc_score, y, pp),
            "baseline": m["baseline_roc_auc"],
            "baseline_perturbed": _safe(roc_auc_score, y, base.proba(ptexts)["spam"]),
        }
        ys.append(y)
        ps.append(p)
        log(f"  held out video {v}: {len(test)} rows")
    out["calibration"] = calibration(np.concatenate(ys), np.concatenate(ps))
    return out


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def case_sets(artifacts_dir: Path) -> dict[str, Any]:
    """The shipped artifacts on the hand-written sets: accuracy per case type."""
    scorer = load_scorer(artifacts_dir)
    th = scorer.thresholds
    out: dict[str, Any] = {}
    for fname in ("functional.jsonl", "false_alarms.jsonl", "spam_cases.jsonl"):
        path = TESTSETS / fname
        if not path.exists():
            continue
        cases = _read_jsonl(path)
        fields = ("text", "name", "email", "url")
        scores = scorer.score([{k: c.get(k) for k in fields} for c in cases])
        apc = _apc([c["text"] for c in cases])
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


def run_bench() -> dict[str, Any] | None:
    """Run ``bench/bench_models.py --json`` in a fresh process, if present."""
    script = REPO / "bench" / "bench_models.py"
    if not script.exists():
        return None
    res = subprocess.run(
        [sys.executable, str(script), "--json"], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        return {"error": res.stderr[-2000:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def evaluate(
    data_dir: Path,
    artifacts_dir: Path,
    report_path: Path | None = None,
    *,
    seed: int = 0,
    groups: Sequence[str] | None = None,
    bench: bool = True,
) -> dict[str, Any]:
    """Run the whole evaluation, write the report and MODEL_CARD.md; returns the figures.

    ``groups`` restricts leave-one-source-out to some source groups (for quick checks); the
    model card is only rewritten for a full run.
    """
    data_dir, artifacts_dir = Path(data_dir), Path(artifacts_dir)
    manifest = read_manifest(artifacts_dir)
    thresholds = manifest["thresholds"]
    rows = load_all(data_dir)
    t0 = time.time()
    print("spam, leave one video out", flush=True)
    spm = lovo_spam(rows, thresholds["spam"], seed)
    (artifacts_dir / "evaluation.spam.partial.json").write_text(json.dumps(spm))
    print("toxicity, leave one source out", flush=True)
    tox = loso_toxicity(
        rows, thresholds, seed, groups, progress_path=artifacts_dir / "evaluation.partial.json"
    )
    print("hand-written sets", flush=True)
    cases = case_sets(artifacts_dir)
    cost = run_bench() if bench else None
    results = {
        "evaluated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "seconds": round(time.time() - t0),
        "thresholds": thresholds,
        "toxicity": tox,
        "spam": spm,
        "cases": cases,
        "cost": cost,
    }
    for partial in ("evaluation.partial.json", "evaluation.spam.partial.json"):
        (artifacts_dir / partial).unlink(missing_ok=True)
    report_path = Path(report_path) if report_path else artifacts_dir / "EVALUATION.md"
    (artifacts_dir / "evaluation.json").write_text(json.dumps(results, indent=1) + "\n")
    report_path.write_text(render_report(results, manifest), encoding="utf-8")
    if groups is None:
        summary = summarize(results)
        manifest["models"]["toxicity"]["metrics"] = summary["toxicity"]
        manifest["models"]["spam"]["metrics"] = summary["spam"]
        write_manifest(manifest, artifacts_dir)
        card = render_model_card(results, manifest)
        (artifacts_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    return results


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """The headline figures stored in the manifest."""
    tox = {}
    for src, labs in results["toxicity"]["per_source"].items():
        if "toxicity" in labs:
            m = labs["toxicity"]
            tox[src] = {
                k: m.get(k) for k in ("roc_auc", "pr_auc", "f1", "baseline_roc_auc", "apc_roc_auc")
            }
    spm = {
        v: {k: m.get(k) for k in ("roc_auc", "f1", "precision", "recall", "baseline_roc_auc")}
        for v, m in results["spam"]["per_video"].items()
    }
    return {
        "toxicity": {"leave_one_source_out_toxicity": tox},
        "spam": {"leave_one_video_out": spm},
    }


def _f(x: Any, nd: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def _toxicity_table(results: dict[str, Any]) -> list[str]:
    th = results["thresholds"]
    lines = [
        "| held-out source | rows | pos | ROC AUC | baseline | Δ vs baseline | alt-profanity-check "
        f"| PR AUC | P@{th['toxicity']} | R | F1 | target met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for src, labs in sorted(results["toxicity"]["per_source"].items()):
        m = labs.get("toxicity")
        if not m:
            continue
        d = None
        if m["roc_auc"] is not None and m.get("baseline_roc_auc") is not None:
            d = m["roc_auc"] - m["baseline_roc_auc"]
        ok = (
            d is not None
            and d >= 0.03
            and m.get("apc_roc_auc") is not None
            and m["roc_auc"] > m["apc_roc_auc"]
        )
        lines.append(
            f"| {src} | {m['n']} | {m['pos']} | {_f(m['roc_auc'])} "
            f"| {_f(m.get('baseline_roc_auc'))} | {_f(d, 4) if d is not None else '-'} "
            f"| {_f(m.get('apc_roc_auc'))} "
            f"| {_f(m['pr_auc'])} | {_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} "
            f"| {'yes' if ok else 'NO'} |"
        )
    return lines


def _label_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| label | held-out source | rows | pos | ROC AUC | baseline | apc | PR AUC | threshold "
        "| precision | recall | F1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label in TOX_LABELS[1:]:
        for src, labs in sorted(results["toxicity"]["per_source"].items()):
            m = labs.get(label)
            if not m or m["pos"] == 0:
                continue
            lines.append(
                f"| {label} | {src} | {m['n']} | {m['pos']} | {_f(m['roc_auc'])} "
                f"| {_f(m.get('baseline_roc_auc'))} | {_f(m.get('apc_roc_auc'))} "
                f"| {_f(m['pr_auc'])} | {m['threshold']} | {_f(m['precision'])} "
                f"| {_f(m['recall'])} | {_f(m['f1'])} |"
            )
    return lines


def _spam_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| held-out video | rows | ROC AUC | F1 | precision | recall | baseline ROC AUC "
        "| baseline F1@0.5 | target (AUC ≥ 0.99, F1 ≥ 0.95) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v, m in results["spam"]["per_video"].items():
        ok = (m["roc_auc"] or 0) >= 0.99 and m["f1"] >= 0.95
        lines.append(
            f"| {v} | {m['n']} | {_f(m['roc_auc'])} | {_f(m['f1'])} | {_f(m['precision'])} "
            f"| {_f(m['recall'])} | {_f(m['baseline_roc_auc'])} | {_f(m['baseline_f1@0.5'])} "
            f"| {'yes' if ok else 'NO'} |"
        )
    return lines


def _obf_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| held-out rows | n | ours | ours perturbed | drop | baseline | baseline perturbed "
        "| drop | target (drop ≤ 0.01) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = [(f"toxicity: {k}", v) for k, v in results["toxicity"]["obfuscation"].items()]
    rows += [(f"spam: {k}", v) for k, v in results["spam"]["obfuscation"].items()]
    for name, m in rows:
        if m["ours"] is None or m["ours_perturbed"] is None:
            continue
        d = m["ours"] - m["ours_perturbed"]
        bd = (
            m["baseline"] - m["baseline_perturbed"]
            if m.get("baseline") is not None and m.get("baseline_perturbed") is not None
            else None
        )
        lines.append(
            f"| {name} | {m.get('n', '')} | {_f(m['ours'])} | {_f(m['ours_perturbed'])} "
            f"| {_f(d)} | {_f(m.get('baseline'))} | {_f(m.get('baseline_perturbed'))} "
            f"| {_f(bd)} | {'yes' if d <= 0.01 else 'NO'} |"
        )
    return lines


def _cal_table(results: dict[str, Any]) -> list[str]:
    lines = ["| label | ECE | Brier |", "|---|---|---|"]
    for label, c in results["toxicity"]["calibration"].items():
        lines.append(f"| {label} (held-out sources) | {c['ece']} | {c['brier']} |")
    c = results["spam"]["calibration"]
    lines.append(f"| spam (held-out videos) | {c['ece']} | {c['brier']} |")
    lines += ["", "Reliability of held-out `toxicity` scores:", ""]
    lines += ["| score bin | rows | mean score | observed rate |", "|---|---|---|---|"]
    for b in results["toxicity"]["calibration"].get("toxicity", {}).get("table", []):
        lines.append(f"| {b['bin']} | {b['n']} | {b['mean_p']:.3f} | {b['rate']:.3f} |")
    return lines


def _cases_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| set | case type | n | accuracy (ours) | alt-profanity-check |",
        "|---|---|---|---|---|",
    ]
    for setname, d in results["cases"].items():
        for case, m in d["per_case"].items():
            lines.append(
                f"| {setname} | {case} | {m['n']} | {_f(m['accuracy'])} "
                f"| {_f(m.get('apc_accuracy'))} |"
            )
    return lines


def cost_rows(c: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, figure, target) rows of ``bench/bench_models.py``'s figures; it prints them too."""
    rows = [
        ("median latency, one comment, both models", f"{c['single_ms']:.3f} ms", "≤ 1 ms"),
        ("  same, CPU time of the scoring thread", f"{c['single_cpu_ms']:.3f} ms", "≤ 1 ms"),
    ]
    if "single_p95_ms" in c:
        rows.append(("p95 latency, one comment", f"{c['single_p95_ms']:.3f} ms", "-"))
    rows += [
        ("throughput, batches of 1,000", f"{c['batch_per_s']:.0f} comments/s", "≥ 5,000/s"),
        ("  same, per CPU-second", f"{c['batch_per_cpu_s']:.0f} comments/s", "≥ 5,000/s"),
        ("artifacts on disk", f"{c['artifacts_mb']:.1f} MB", "≤ 30 MB"),
        ("load both models (read, verify checksums, build)", f"{c['load_s']:.2f} s", "≤ 2 s"),
        ("import scikit-learn + skops, once per process", f"{c['import_s']:.2f} s", "-"),
        ("RSS of a process with both models", f"{c['rss_mb']:.0f} MB", "≤ 400 MB"),
    ]
    return rows


def _cost_table(results: dict[str, Any]) -> list[str]:
    c = results.get("cost")
    if not c or "error" in c:
        return [f"Bench not run: {c.get('error', '') if c else 'skipped'}"]
    lines = ["| measure | figure | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {t} |" for a, b, t in cost_rows(c)]
    return lines


def render_report(results: dict[str, Any], manifest: dict[str, Any]) -> str:
    """The evaluation report (markdown)."""
    versions = ", ".join(f"{k} {v['version']}" for k, v in manifest["models"].items())
    out = [
        "# Evaluation report",
        "",
        f"Models: {versions}. Evaluated {results['evaluated_at']} in {results['seconds']} s.",
        "Reproduce: `python -m models.evaluate` (or `moderation evaluate`).",
        "",
        "## Toxicity, leave one source out",
        "",
        "Each row: a model with the shipped configuration trained without that source's group",
        "(the three Wikipedia folders form one group), scored on it. Baseline: plain TF-IDF +",
        "logistic regression on the same training rows. alt-profanity-check: the pretrained",
        "package. **alt-profanity-check was trained on Davidson et al. and on the Jigsaw Toxic",
        "Comment data (its README says so)**, so its figures on `davidson-hate-speech-offensive`",
        "and on the Wikipedia/Jigsaw sources are not held out for it: it has seen those rows.",
        "",
        *_toxicity_table(results),
        "",
        "## Other labels, leave one source out",
        "",
        *_label_table(results),
        "",
        "## Spam, leave one video out",
        "",
        *_spam_table(results),
        "",
        "## Obfuscation (held-out rows perturbed with `models.perturb`)",
        "",
        *_obf_table(results),
        "",
        "## Calibration",
        "",
        *_cal_table(results),
        "",
        "## Hand-written sets (shipped artifacts)",
        "",
        *_cases_table(results),
        "",
        "Failures:",
        "",
    ]
    for setname, d in results["cases"].items():
        for f in d["failures"]:
            out.append(f"- {setname}/{f['case']}: {f['text']!r} → {f['scores']}")
    out += ["", "## Cost", "", *_cost_table(results), ""]
    return "\n".join(out)


CARD_INTRO = """# Model card: spam and toxicity models

## What they are

Two linear models over hashed n-grams, trained with scikit-learn and shipped as skops files
(loaded with an explicit list of trusted types; checksums in `manifest.json`).

* **spam** (`spam.skops`): one logistic-loss linear model (fitted by SGD) over word 1-2-grams
  and character 2-5-grams of the normalized comment plus *signal tokens*: links and their
  domains (reference sites, shorteners, referral links), contact handles (phone, e-mail,
  Telegram/WhatsApp...), money amounts, promotion words, shouting, repetition, and the
  `name`/`email`/`url` form fields.
* **toxicity** (`toxicity.skops`): one shared featurizer (word 1-2-grams, character 2-5-grams of
  the normalized text with tweet artefacts such as `RT @x:`, `@USER`, links removed) and one
  logistic-loss linear head (fitted by SGD) per label: `toxicity`, `severe_toxicity`, `insult`,
  `identity_attack`, `threat`, `profanity`.  Since 1.2.0 the `toxicity` score is the noisy-OR
  of all six heads (toxic if any head fires: 1 - prod(1 - p_k) of the raw head probabilities),
  calibrated on its own; the other labels are their own head.  Held out, the combination ranks
  better than the toxicity head alone, and a threat or an identity attack raises `toxicity`
  too instead of passing as "merely impolite".

Every comment is normalized once by `models/text.py` (Unicode NFKC, invisible characters,
look-alike letters, leetspeak, spaced/dotted letters, stretched letters, obfuscated links).
Probabilities are calibrated by Platt scaling on 3-fold out-of-fold decision values of the
pooled training data. Explanations (`Scorer.explain`) are by occlusion: each word or link of
the normalized text is mapped back to its span in the original text, removed, and the drop in
the label's logit is the span's weight.

## Intended use

Scoring comments on a news or community site for a moderation queue: hold or reject at the
shipped thresholds, with a moderator reviewing what is held. Not for deciding about people,
not for languages other than English, not as the only safeguard against threats.

## Training data and how labels were learned

Partial labels: each head is trained only on rows whose source defines its label (mapping per
source below). Texts are deduplicated (case, width and spacing folded) before any split;
duplicates with conflicting labels lose that label. Toxicity rows are weighted so that each
source counts about 8,000 rows (weights clipped to 0.25-3), so the large tweet corpora do not
drown the news and talk-page comments.

**Spam weak negatives (a deliberate departure from "only sources that define the label"):**
the spam corpora (YouTube, SMS) contain almost no legitimate comment that cites a link, so a
model trained on them alone learns that any link is spam. Clean rows (toxicity = 0) of the
Kaggle news comments, the Wikipedia talk-page sets and Stormfront sentences were added as
spam = 0 at weight 0.25 (0.5 until 1.1.0): every such row with a link, plus 3,000 without.
These corpora were not labelled for spam and a few of their rows are spam (e.g. a referral
link in a Wikipedia comment). Evaluation of spam stays on the YouTube videos, held out one
at a time.

**No "a name was given" signal (1.2.0).** Every YouTube row has an author name and no weak
negative has one, so 1.1.0 learned "has a name" as a spam signal: a named reader citing a
source (`{"text": "Great article! See https://www.bbc.co.uk/news/science for the original
study.", "name": "Ada"}`) scored spam 0.75, without the name 0.04. The token is gone; only
what a name looks like (a link or promotion in it, digits, length) still counts. This costs
about 0.003 of the averaged leave-one-video-out ROC AUC (the name was partly a marker of the
medium, which helped tell YouTube rows from the weak negatives), and is kept because the
false alarm is real.

SMS messages are weighted 0.3 (another medium). Without them the held-out YouTube ROC AUC
rises (0.976 to 0.983 averaged over the four videos, weak negatives at 0.2), but the model
then misses money, phone and "click here" spam that YouTube's "check out my channel" spam
lacks (7 of the 8 hand-written link+money spams slipped through), so they stay.

**Hand-written training rows (threats):** public data has few direct threats ("I will kill
you"): Gab's calls for violence and implicit-hate's "threatening" posts are mostly veiled or
group-level. `models/testsets/train_threats.jsonl` holds 200 template-made threats against
people and groups (threat = 1, toxicity = 1) and 30 innocent uses of violent verbs (threat = 0,
toxicity = 0), weight 1. They are in the training data of the shipped model and of every
leave-one-source-out fold, and are never evaluated on; all public-data figures below are on
public rows only. The functional set's threat cases were written separately, but share the
subject matter, so read their accuracy as optimistic.

**Hand-written training rows (spam, 1.2.0):** neither spam corpus has the crypto/forex
"investment" spam with a Telegram/WhatsApp/phone contact that comment sections get (1.1.0
scored "Invest in bitcoin with me ... Telegram @cryptoking" 0.13), nor named readers citing a
source. `models/testsets/train_spam.jsonl` holds 120 template-made investment spams (spam = 1)
and 110 clean comments, most with a name, citing a source link or thanking the author
(spam = 0), weight 1, plus a `crypto` signal token. They are in every leave-one-video-out fold
and never evaluated on; the `spam_crypto_contact` and `*_named` cases of `spam_cases.jsonl`
were written separately (other wording, other domains) but share the subject matter, so read
their accuracy as optimistic. The other hand-written sets (`functional.jsonl`,
`false_alarms.jsonl`, `spam_cases.jsonl`) are for evaluation and tests only.

**Moderator feedback** (`train(..., feedback=FILE)`): feedback rows weigh at least 2.0 in both
models, win over a public duplicate of their text (the latest moderator decision wins among
feedback duplicates), are never capped by `sample=`, and the versions then read
`<name>-<x.y.z>+fb.<UTC time>`.

## About the references

The plain baseline (scikit-learn's default `TfidfVectorizer` + `LogisticRegression`) is trained
on exactly the rows our model is trained on in each fold. `alt-profanity-check` is used as
shipped; its training data (per its README) are Davidson et al. and the Jigsaw Toxic Comment
Classification data, so its figures on `davidson-hate-speech-offensive` and on the three
Wikipedia/Jigsaw sources are not held out for it (it scores 0.99 ROC AUC on Davidson, which it
was trained on). Beating it there is not a fair test; on the other sources it is.

## 1.2.0 against 1.1.0 (same evaluation, `python -m models.evaluate`)

| figure | 1.1.0 | 1.2.0 |
|---|---|---|
| toxicity sources with ROC AUC ≥ baseline + 0.03 | 2 of 10 | 4 of 10 |
| smallest margin over the baseline (Davidson) | -0.0178 | -0.0086 |
| toxicity ROC AUC, Davidson/Stormfront/implicit-hate | .857 .803 .685 | .867 .821 .700 |
| same, Wikipedia identity/Kaggle/Jigsaw pools | .877 .848 .922 | .863 .845 .919 |
| spam ROC AUC, Eminem/Katy/LMFAO/Psy | .985 .980 .968 .961 | .986 .981 .969 .955 |
| spam F1 at the threshold, same videos | .922 .943 .869 .877 | .935 .889 .854 .866 |
| spam calibration ECE (held-out videos) | 0.033 | 0.046 |
| spam threshold | 0.45 | 0.575 |
| "Great article! See https://www.bbc.co.uk/...", name Ada | spam 0.75 (held) | 0.03 |
| "Invest in bitcoin ... Telegram @cryptoking" | spam 0.13 (missed) | 1.00 |
| threat recall, Gab/implicit-hate/Jigsaw pools | .092 .024 .060 | .099 .027 .070 |
| functional negation / counter-speech accuracy | 0.533 / 0.417 | 0.467 / 0.583 |
| largest obfuscation drop | 0.0088 | 0.0073 |

The spam model ranks held-out videos slightly better except Psy, has a lower F1 at its
threshold on three of four videos, and is better on comment-section traffic (the
named-citation false alarm, crypto spam); why, below.

## Why targets are missed (measured, not guessed)

* **Toxicity margin over the plain baseline.** Our model is the same family as the baseline
  (a linear model on n-grams, trained on the same rows). Normalization, character n-grams,
  source weighting, the removal of tweet artefacts and (1.2.0) the noisy-OR of the heads buy
  +0.01 to +0.05 ROC AUC on most held-out sources, not +0.03 on all; on Davidson it is still
  below the baseline. The learner is not the cause on our features: on the Davidson fold the
  toxicity head fitted by liblinear's exact logistic regression (C=1) scored 0.8576 against
  0.8574 by SGD (13 s against 2.8 s a fit; C=4 took 50 s a fit), and averaged SGD scored 0.838.
  (The 1.1.0 card's side experiment, 0.853 against 0.875, was on the baseline's own TF-IDF
  features, not ours.) The noisy-OR of the heads is what moved Davidson (0.857 to 0.867) and
  Stormfront (0.803 to 0.821); a plain mean of the heads' logits was better on Davidson (0.871)
  but no help on Stormfront (0.806), and toxicity + identity_attack alone helped Stormfront
  (0.83) but cost Davidson (0.80), so neither was shipped. Davidson's "offensive" class is
  mostly casual profanity in tweets, which the other sources label unevenly; the baseline,
  unweighted, leans on the large tweet corpora, which our per-source weighting deliberately
  does not.
* **Spam on held-out videos.** Variants measured with leave-one-video-out (weights,
  regularisation, exact logistic regression, without character n-grams or without the
  signals) all stayed between 0.960 and 0.983 on average; the best ones drop the SMS data,
  which costs the generic money/phone spam (see above). In 1.2.0, removing the "name given"
  token (the named-citation false alarm above) cost 0.004 of the averaged ROC AUC (0.9734 to
  0.9696), the hand-written spam rows were neutral (+0.0006, Psy -0.002), L2 3e-5 or 3e-6 did
  not help (0.968, 0.970), and halving the weak negatives' weight to 0.25 won it back (0.9729;
  0.15 gave 0.9739, not taken, to keep more weight on clean comments with links). Calibrating
  the spam probability on the labelled spam corpora only (not on the all-clean weak
  negatives) keeps held-out spam from being scored too low. Psy stays 0.006 below 1.1.0 and
  F1 at the threshold is below 0.95 everywhere: the hard videos (Psy, LMFAO) have short
  "subscribe to my channel" spam that reads like fan comments, and the recall at the F1-best
  pooled threshold (0.575) is 0.76-0.88.
* **Threat recall.** Threat positives are ~1% of their rows, so the calibrated threat
  probability of a plain direct threat stays low ("I will stab you": threat 0.19, toxicity
  0.24 with the shipped 0.3 / 0.35 thresholds). Weighting the hand-written threats 3x instead
  of 1x moved it to 0.20 and changed no functional case, so it was not shipped. With the
  noisy-OR, threats do raise `toxicity`, but not enough for short threats without insults.

## Known limitations

* Linear bag-of-n-grams models: no real understanding of negation, quotation or irony.
  Counter-speech that quotes an attack and negated insults are the weakest case types (see the
  functional figures below).
* `threat` and `severe_toxicity` have few positives (Gab `cv`, implicit-hate "threatening",
  Jigsaw), all from extremist-platform or Wikipedia data; their recall on other media is low.
* Several training corpora come from extremist platforms; their clean rows are on extremist
  topics. The false-alarm set checks civil political argument and news, but identity terms
  still raise `identity_attack` somewhat.
* Calibration holds on the pooled training mix; on a new site the base rate differs, so the
  probabilities drift (the held-out calibration figures below show by how much).
* English only.
"""


def _targets(results: dict[str, Any]) -> list[str]:
    """One line per target of issue 3: the figure reached next to the target."""
    tox = results["toxicity"]["per_source"]
    met, total, worst = 0, 0, None
    above_apc = 0
    for m in (labs["toxicity"] for labs in tox.values() if "toxicity" in labs):
        if m["roc_auc"] is None or m.get("baseline_roc_auc") is None:
            continue
        total += 1
        d = m["roc_auc"] - m["baseline_roc_auc"]
        met += d >= 0.03
        above_apc += m["roc_auc"] > (m.get("apc_roc_auc") or 0)
        worst = d if worst is None else min(worst, d)
    spam = results["spam"]["per_video"].values()
    drops = [
        m["ours"] - m["ours_perturbed"]
        for part in ("toxicity", "spam")
        for m in results[part]["obfuscation"].values()
        if m.get("ours") is not None and m.get("ours_perturbed") is not None
    ]
    lines = [
        f"- Toxicity ROC AUC ≥ baseline + 0.03 on every source: **{met} of {total}** sources "
        f"(smallest margin {worst:+.4f}); above alt-profanity-check on {above_apc} of {total} "
        "(it was trained on Davidson and Jigsaw, see below). "
        + ("Met." if met == total else "**Not met.**"),
        f"- Spam on a held-out YouTube video, ROC AUC ≥ 0.99 and F1 ≥ 0.95: ROC AUC "
        f"{min(m['roc_auc'] for m in spam):.3f}-{max(m['roc_auc'] for m in spam):.3f}, F1 "
        f"{min(m['f1'] for m in spam):.3f}-{max(m['f1'] for m in spam):.3f}. "
        + (
            "Met."
            if all((m["roc_auc"] or 0) >= 0.99 and m["f1"] >= 0.95 for m in spam)
            else "**Not met.**"
        ),
        f"- Obfuscation, AUC drop on perturbed copies ≤ 0.01: largest drop {max(drops):.4f}. "
        + ("Met." if max(drops) <= 0.01 else "**Not met.**"),
    ]
    c = results.get("cost")
    if c and "error" not in c:
        ok = (
            c["single_ms"] <= 1
            and c["batch_per_s"] >= 5000
            and c["artifacts_mb"] <= 30
            and c["load_s"] <= 2
            and c["rss_mb"] <= 400
        )
        lines.append(
            f"- Cost: {c['single_ms']:.2f} ms a comment, {c['batch_per_s']:.0f} comments/s in "
            f"batches of 1,000, {c['artifacts_mb']:.1f} MB, load {c['load_s']:.2f} s (+ "
            f"{c['import_s']:.2f} s of imports), {c['rss_mb']:.0f} MB RSS. "
            + ("Met." if ok else "**Not all met.**")
        )
    return lines


def render_model_card(results: dict[str, Any], manifest: dict[str, Any]) -> str:
    """MODEL_CARD.md: the fixed text of :data:`CARD_INTRO` followed by the figures."""
    intro = CARD_INTRO
    data_lines = ["| model | source | rows | licence | mapping |", "|---|---|---|---|---|"]
    for name, entry in manifest["models"].items():
        for d in entry["data"]:
            data_lines.append(
                f"| {name} | {d['source']} | {d['rows']} | {d['licence']} | {d['mapping']} |"
            )
    th = ", ".join(f"`{k}` {v}" for k, v in manifest["thresholds"].items())
    versions = ", ".join(
        f"{k} `{v['version']}` (sha256 {v['sha256'][:12]}…, trained {v['trained_at']})"
        for k, v in manifest["models"].items()
    )
    out = [
        intro.rstrip(),
        "",
        "## Versions",
        "",
        versions,
        "",
        "## Training data",
        "",
        *data_lines,
        "",
        f"## Shipped thresholds\n\n{th}",
        "",
        f"## Figures (from `moderation evaluate`, {results['evaluated_at']})",
        "",
        "### The targets",
        "",
        *_targets(results),
        "",
        "### Toxicity, leave one source out",
        "",
        *_toxicity_table(results),
        "",
        "### Spam, leave one video out",
        "",
        *_spam_table(results),
        "",
        "### Rare labels and the others, leave one source out",
        "",
        *_label_table(results),
        "",
        "### Obfuscation",
        "",
        *_obf_table(results),
        "",
        "### Calibration",
        "",
        *_cal_table(results),
        "",
        "### Functional, false-alarm and spam case sets",
        "",
        *_cases_table(results),
        "",
        "### Cost (bench/bench_models.py on this machine)",
        "",
        *_cost_table(results),
        "",
        "Full per-label tables and the failing cases: `EVALUATION.md`.",
        "",
    ]
    return "\n".join(out)


def render(artifacts_dir: Path, report_path: Path | None = None) -> None:
    """Rewrite EVALUATION.md and MODEL_CARD.md from ``evaluation.json`` without re-running."""
    artifacts_dir = Path(artifacts_dir)
    results = json.loads((artifacts_dir / "evaluation.json").read_text())
    manifest = read_manifest(artifacts_dir)
    report_path = Path(report_path) if report_path else artifacts_dir / "EVALUATION.md"
    report_path.write_text(render_report(results, manifest), encoding="utf-8")
    card = render_model_card(results, manifest)
    (artifacts_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.evaluate --data DIR --artifacts DIR [--report FILE]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--artifacts", type=Path, default=Path(__file__).parent / "artifacts")
    ap.add_argument("--report", type=Path, default=None)
    ap.add_argument("--groups", nargs="*", default=None, help="only these source groups")
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument(
        "--render-only", action="store_true", help="rewrite the markdown from evaluation.json"
    )
    a = ap.parse_args(argv)
    if a.render_only:
        render(a.artifacts, a.report)
        return 0
    evaluate(a.data, a.artifacts, a.report, groups=a.groups, bench=not a.no_bench)
    print(f"report written to {a.report or a.artifacts / 'EVALUATION.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
