"""Run the whole evaluation and write ``evaluation.json``, ``EVALUATION.md`` and ``MODEL_CARD.md``.

``evaluate(data_dir, artifacts_dir)`` is what ``moderation evaluate`` and
``python -m models.evaluate`` run: the held-out experiments (:mod:`models.evaluate.experiments`),
the shipped artifacts on the hand-written sets (:mod:`models.evaluate.cases`) and the cost
(:mod:`models.evaluate.cost`). Folds in progress are written to ``evaluation*.partial.json`` in
the artifacts directory, so a run cut short leaves its completed folds. A full run also stores
the headline figures in the manifest (:func:`summarize`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.artifacts import ARTIFACTS_DIR, read_manifest, write_manifest
from models.evaluate import blog_spam, encoder, verdicts
from models.evaluate.card import render_model_card
from models.evaluate.cases import case_sets
from models.evaluate.cost import run_bench
from models.evaluate.experiments import loso_toxicity, lovo_spam
from models.evaluate.language import language_gate
from models.evaluate.spans import evaluate_spans, held_out_scorer
from models.evaluate.tables import render_report
from models.training.datasets import load_all

PARTIALS = ("evaluation.partial.json", "evaluation.spam.partial.json")


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
    spm = lovo_spam(rows, thresholds["spam"], seed, lists_dir=data_dir / "raw" / "spam-link-lists")
    (artifacts_dir / PARTIALS[1]).write_text(json.dumps(spm))
    print("toxicity, leave one source out", flush=True)
    tox = loso_toxicity(rows, thresholds, seed, groups, progress_path=artifacts_dir / PARTIALS[0])
    print("hand-written sets", flush=True)
    cases = case_sets(artifacts_dir)
    print("language gate on English corpora", flush=True)
    language = language_gate(data_dir, seed)
    print("explanation spans (toxicity retrained without the SemEval test comments)", flush=True)
    spans = evaluate_spans(
        held_out_scorer(rows, data_dir, artifacts_dir, seed), data_dir, seed=seed
    )
    print("toxicity encoder, held out (artifacts/eval), and the shipped modes", flush=True)
    encoder_figures = encoder.encoder_results(data_dir, artifacts_dir, seed)
    cost = run_bench() if bench else None
    results = {
        "evaluated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "seconds": round(time.time() - t0),
        "thresholds": thresholds,
        "toxicity": tox,
        "spam": spm,
        "cases": cases,
        "language": language,
        "spans": spans,
        "cost": cost,
        "encoder": encoder_figures,
    }
    for partial in PARTIALS:
        (artifacts_dir / partial).unlink(missing_ok=True)
    (artifacts_dir / "evaluation.json").write_text(json.dumps(results, indent=1) + "\n")
    _write_report(results, manifest, artifacts_dir, report_path)
    if groups is None:
        summary = summarize(results)
        # Read again: the evaluation takes a while and the manifest may have changed meanwhile.
        manifest = read_manifest(artifacts_dir)
        manifest["models"]["toxicity"]["metrics"] = summary["toxicity"]
        manifest["models"]["spam"]["metrics"] = summary["spam"]
        write_manifest(manifest, artifacts_dir)
        _write_card(results, manifest, artifacts_dir)
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


def _write_report(
    results: dict[str, Any], manifest: dict[str, Any], artifacts_dir: Path, path: Path | None
) -> None:
    path = Path(path) if path else artifacts_dir / "EVALUATION.md"
    report = render_report(results, manifest) + "\n" + "\n".join(blog_spam.report_section(results))
    path.write_text(report, encoding="utf-8")


def _write_card(results: dict[str, Any], manifest: dict[str, Any], artifacts_dir: Path) -> None:
    card = render_model_card(results, manifest)
    (artifacts_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    # The verdict figures (models.evaluate.verdicts) lead the card.
    verdicts.update_card(artifacts_dir)


def render(artifacts_dir: Path, report_path: Path | None = None) -> None:
    """Rewrite EVALUATION.md and MODEL_CARD.md from ``evaluation.json`` without re-running."""
    artifacts_dir = Path(artifacts_dir)
    results = json.loads((artifacts_dir / "evaluation.json").read_text())
    manifest = read_manifest(artifacts_dir)
    _write_report(results, manifest, artifacts_dir, report_path)
    _write_card(results, manifest, artifacts_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.evaluate --data DIR --artifacts DIR [--report FILE]``."""
    from models.training.datasets import default_data_dir

    ap = argparse.ArgumentParser(
        prog="python -m models.evaluate",
        description="Evaluate the models and write the model card.",
    )
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--artifacts", type=Path, default=ARTIFACTS_DIR)
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
