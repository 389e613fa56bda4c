"""The Markdown tables of the evaluation figures, shared by the report and the model card.

Each table is a function of the results dict (as written to ``evaluation.json``) returning lines;
:data:`TABLES` names them, and a document is a list of (title, table name) sections rendered by
:func:`sections`. To show a new figure: write its table here, add it to :data:`TABLES`, and list
it in :data:`REPORT_FIGURES` (``EVALUATION.md``) and/or ``models.evaluate.card``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from models.evaluate.cost import cost_rows
from models.training.datasets import TOX_LABELS

Results = dict[str, Any]


def fmt(x: Any, nd: int = 3) -> str:
    """A figure for a table: floats to ``nd`` places, None as "-"."""
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """The lines of a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def toxicity_table(results: Results) -> list[str]:
    """`toxicity` per held-out source, against the baseline and alt-profanity-check."""
    th = results["thresholds"]
    header = ["held-out source", "rows", "pos", "ROC AUC", "baseline", "Δ vs baseline"]
    header += ["alt-profanity-check", "PR AUC", f"P@{th['toxicity']}", "R", "F1", "target met"]
    rows = []
    for src, labs in sorted(results["toxicity"]["per_source"].items()):
        m = labs.get("toxicity")
        if not m:
            continue
        d = None
        if m["roc_auc"] is not None and m.get("baseline_roc_auc") is not None:
            d = m["roc_auc"] - m["baseline_roc_auc"]
        apc = m.get("apc_roc_auc")
        ok = d is not None and d >= 0.03 and apc is not None and m["roc_auc"] > apc
        rows.append(
            [
                src,
                m["n"],
                m["pos"],
                fmt(m["roc_auc"]),
                fmt(m.get("baseline_roc_auc")),
                fmt(d, 4) if d is not None else "-",
                fmt(apc),
                fmt(m["pr_auc"]),
                fmt(m["precision"]),
                fmt(m["recall"]),
                fmt(m["f1"]),
                _verdict(ok),
            ]
        )
    return markdown_table(header, rows)


def label_table(results: Results) -> list[str]:
    """The other toxicity labels per held-out source that has positives."""
    header = ["label", "held-out source", "rows", "pos", "ROC AUC", "baseline", "apc", "PR AUC"]
    header += ["threshold", "precision", "recall", "F1"]
    rows = []
    for label in TOX_LABELS[1:]:
        for src, labs in sorted(results["toxicity"]["per_source"].items()):
            m = labs.get(label)
            if not m or m["pos"] == 0:
                continue
            rows.append(
                [
                    label,
                    src,
                    m["n"],
                    m["pos"],
                    fmt(m["roc_auc"]),
                    fmt(m.get("baseline_roc_auc")),
                    fmt(m.get("apc_roc_auc")),
                    fmt(m["pr_auc"]),
                    m["threshold"],
                    fmt(m["precision"]),
                    fmt(m["recall"]),
                    fmt(m["f1"]),
                ]
            )
    return markdown_table(header, rows)


def spam_table(results: Results) -> list[str]:
    """Spam per held-out video, against the baseline."""
    header = ["held-out video", "rows", "ROC AUC", "F1", "precision", "recall"]
    header += ["baseline ROC AUC", "baseline F1@0.5", "target (AUC ≥ 0.99, F1 ≥ 0.95)"]
    rows = []
    for v, m in results["spam"]["per_video"].items():
        ok = (m["roc_auc"] or 0) >= 0.99 and m["f1"] >= 0.95
        rows.append(
            [
                v,
                m["n"],
                fmt(m["roc_auc"]),
                fmt(m["f1"]),
                fmt(m["precision"]),
                fmt(m["recall"]),
                fmt(m["baseline_roc_auc"]),
                fmt(m["baseline_f1@0.5"]),
                _verdict(ok),
            ]
        )
    return markdown_table(header, rows)


def _drop(m: dict[str, Any], name: str) -> float | None:
    """How much ``name``'s ROC AUC falls on the perturbed copies."""
    if m.get(name) is None or m.get(f"{name}_perturbed") is None:
        return None
    return m[name] - m[f"{name}_perturbed"]


def obfuscation_table(results: Results) -> list[str]:
    """ROC AUC on held-out rows and on their perturbed copies, ours and the baseline's."""
    header = ["held-out rows", "n", "ours", "ours perturbed", "drop", "baseline"]
    header += ["baseline perturbed", "drop", "target (drop ≤ 0.01)"]
    named = [(f"toxicity: {k}", v) for k, v in results["toxicity"]["obfuscation"].items()]
    named += [(f"spam: {k}", v) for k, v in results["spam"]["obfuscation"].items()]
    rows = []
    for name, m in named:
        d = _drop(m, "ours")
        if d is None:
            continue
        rows.append(
            [
                name,
                m.get("n", ""),
                fmt(m["ours"]),
                fmt(m["ours_perturbed"]),
                fmt(d),
                fmt(m.get("baseline")),
                fmt(m.get("baseline_perturbed")),
                fmt(_drop(m, "baseline")),
                _verdict(d <= 0.01),
            ]
        )
    return markdown_table(header, rows)


def calibration_table(results: Results) -> list[str]:
    """ECE and Brier score per label, and the reliability of held-out `toxicity` scores."""
    rows = [
        [f"{label} (held-out sources)", c["ece"], c["brier"]]
        for label, c in results["toxicity"]["calibration"].items()
    ]
    c = results["spam"]["calibration"]
    rows.append(["spam (held-out videos)", c["ece"], c["brier"]])
    bins = results["toxicity"]["calibration"].get("toxicity", {}).get("table", [])
    return [
        *markdown_table(["label", "ECE", "Brier"], rows),
        "",
        "Reliability of held-out `toxicity` scores:",
        "",
        *markdown_table(
            ["score bin", "rows", "mean score", "observed rate"],
            ([b["bin"], b["n"], f"{b['mean_p']:.3f}", f"{b['rate']:.3f}"] for b in bins),
        ),
    ]


def cases_table(results: Results) -> list[str]:
    """Accuracy per case type of the hand-written sets, ours and alt-profanity-check's."""
    rows = [
        [setname, case, m["n"], fmt(m["accuracy"]), fmt(m.get("apc_accuracy"))]
        for setname, d in results["cases"].items()
        for case, m in d["per_case"].items()
    ]
    header = ["set", "case type", "n", "accuracy (ours)", "alt-profanity-check"]
    return markdown_table(header, rows)


def cost_table(results: Results) -> list[str]:
    """The benchmark's figures with their targets, or why there are none."""
    c = results.get("cost")
    if not c or "error" in c:
        return [f"Bench not run: {c.get('error', '') if c else 'skipped'}"]
    return markdown_table(["measure", "figure", "target"], cost_rows(c))


def failures_list(results: Results) -> list[str]:
    """The hand-written cases the shipped models get wrong, with their scores."""
    return [
        f"- {setname}/{f['case']}: {f['text']!r} → {f['scores']}"
        for setname, d in results["cases"].items()
        for f in d["failures"]
    ]


TABLES: dict[str, Callable[[Results], list[str]]] = {
    "toxicity": toxicity_table,
    "labels": label_table,
    "spam": spam_table,
    "obfuscation": obfuscation_table,
    "calibration": calibration_table,
    "cases": cases_table,
    "cost": cost_table,
}


def section(title: str, lines: Sequence[str], level: int = 2) -> list[str]:
    """A Markdown section: heading, blank line, body, blank line."""
    return ["#" * level + " " + title, "", *lines, ""]


def sections(results: Results, figures: Sequence[tuple[str, str]], level: int = 2) -> list[str]:
    """The sections (title, table name in :data:`TABLES`) of a document, in order."""
    out: list[str] = []
    for title, name in figures:
        out += section(title, TABLES[name](results), level)
    return out


TOXICITY_NOTE = [
    "Each row: a model with the shipped configuration trained without that source's group",
    "(the three Wikipedia folders form one group), scored on it. Baseline: plain TF-IDF +",
    "logistic regression on the same training rows. alt-profanity-check: the pretrained",
    "package. **alt-profanity-check was trained on Davidson et al. and on the Jigsaw Toxic",
    "Comment data (its README says so)**, so its figures on `davidson-hate-speech-offensive`",
    "and on the Wikipedia/Jigsaw sources are not held out for it: it has seen those rows.",
]
# The figures of EVALUATION.md after the toxicity section, in order.
REPORT_FIGURES = [
    ("Other labels, leave one source out", "labels"),
    ("Spam, leave one video out", "spam"),
    ("Obfuscation (held-out rows perturbed with `models.training.perturb`)", "obfuscation"),
    ("Calibration", "calibration"),
]


def render_report(results: Results, manifest: dict[str, Any]) -> str:
    """The evaluation report, ``EVALUATION.md`` (Markdown)."""
    versions = ", ".join(f"{k} {v['version']}" for k, v in manifest["models"].items())
    out = [
        "# Evaluation report",
        "",
        f"Models: {versions}. Evaluated {results['evaluated_at']} in {results['seconds']} s.",
        "Reproduce: `python -m models.evaluate` (or `moderation evaluate`).",
        "",
        *section("Toxicity, leave one source out", [*TOXICITY_NOTE, "", *toxicity_table(results)]),
        *sections(results, REPORT_FIGURES),
        *section(
            "Hand-written sets (shipped artifacts)",
            [*cases_table(results), "", "Failures:", "", *failures_list(results)],
        ),
        *section("Cost", cost_table(results)),
    ]
    return "\n".join(out)
