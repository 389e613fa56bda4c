"""``MODEL_CARD.md``: the fixed text of :mod:`models.evaluate.card_text`, then the figures.

The card states each target of the models next to the figure reached (:func:`targets`), the
versions, training data and thresholds from the manifest, and the tables of
:mod:`models.evaluate.tables`, in the order of :data:`CARD_FIGURES`.
"""

from __future__ import annotations

from typing import Any

from models.evaluate import blog_spam, languages_card
from models.evaluate.card_text import CARD_INTRO, ENCODER_TEXT
from models.evaluate.cost import cost_met
from models.evaluate.tables import Results, markdown_table, section, sections

# The figures of the card, in order (title, table name in models.evaluate.tables.TABLES).
CARD_FIGURES = [
    ("Toxicity, leave one source out", "toxicity"),
    ("Spam, leave one video out", "spam"),
    ("Rare labels and the others, leave one source out", "labels"),
    ("Obfuscation", "obfuscation"),
    ("Calibration", "calibration"),
    ("Functional, false-alarm and spam case sets", "cases"),
    ("Cost (bench/bench_models.py on this machine)", "cost"),
]


def _met(ok: bool, missed: str = "**Not met.**") -> str:
    return "Met." if ok else missed


def _toxicity_target(results: Results) -> str:
    """Margin over the baseline and alt-profanity-check on every held-out source."""
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
    return (
        f"- Toxicity ROC AUC ≥ baseline + 0.03 on every source: **{met} of {total}** sources "
        f"(smallest margin {worst:+.4f}); above alt-profanity-check on {above_apc} of {total} "
        "(it was trained on Davidson and Jigsaw, see below). " + _met(met == total)
    )


def _spam_target(results: Results) -> str:
    """ROC AUC and F1 on every held-out video."""
    spam = results["spam"]["per_video"].values()
    ok = all((m["roc_auc"] or 0) >= 0.99 and m["f1"] >= 0.95 for m in spam)
    return (
        f"- Spam on a held-out YouTube video, ROC AUC ≥ 0.99 and F1 ≥ 0.95: ROC AUC "
        f"{min(m['roc_auc'] for m in spam):.3f}-{max(m['roc_auc'] for m in spam):.3f}, F1 "
        f"{min(m['f1'] for m in spam):.3f}-{max(m['f1'] for m in spam):.3f}. " + _met(ok)
    )


def _obfuscation_target(results: Results) -> str:
    """The largest ROC AUC drop on perturbed copies."""
    drops = [
        m["ours"] - m["ours_perturbed"]
        for part in ("toxicity", "spam")
        for m in results[part]["obfuscation"].values()
        if m.get("ours") is not None and m.get("ours_perturbed") is not None
    ]
    return (
        f"- Obfuscation, AUC drop on perturbed copies ≤ 0.01: largest drop {max(drops):.4f}. "
        + _met(max(drops) <= 0.01)
    )


def targets(results: Results) -> list[str]:
    """One line per target of the models: the figure reached next to the target."""
    lines = [_toxicity_target(results), _spam_target(results), _obfuscation_target(results)]
    lines += blog_spam.targets(results)
    c = results.get("cost")
    if c and "error" not in c:
        lines.append(
            f"- Cost: {c['single_ms']:.2f} ms a comment, {c['batch_per_s']:.0f} comments/s in "
            f"batches of 1,000, {c['artifacts_mb']:.1f} MB, load {c['load_s']:.2f} s (+ "
            f"{c['import_s']:.2f} s of imports), {c['rss_mb']:.0f} MB RSS. "
            + _met(cost_met(c), "**Not all met.**")
        )
    return lines


def _f(x: Any) -> str:
    return "—" if x is None else f"{x:.3f}"


def encoder_section(results: Results) -> list[str]:
    """The card's encoder section (empty when the evaluation had no encoder)."""
    enc = results.get("encoder")
    if not enc:
        return []
    lines = [
        *ENCODER_TEXT.splitlines(),
        "",
        "#### Held out (`models/evaluate/encoder.py`)",
        "",
        "ROC AUC of `toxicity`. `held` = the source was held out of the evaluation encoder "
        "entirely (out-of-source for every model: leave three sources out); otherwise the "
        "figure is on a fixed 20 % of the source that no model was trained on, the other "
        "80 % being in training (within-source, optimistic). `1.2.0 recipe` is the linear model "
        "retrained on the same rows; `2.0 stack` is the stacker fitted on the other sources' "
        "held-out predictions; `target` is baseline + 0.03.",
        "",
        "| source | held | rows | 1.2.0 recipe | baseline | encoder | 2.0 stack | cascade .1-.9"
        " (encoder share) | stack ≥ target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for src, d in enc["per_source"].items():
        t = d.get("toxicity")
        if not t:
            continue
        c = t["cascade"]["0.1-0.9"]
        ok = (
            t["stack"] is not None
            and t["baseline"] is not None
            and (t["stack"] >= t["baseline"] + 0.03)
        )
        lines.append(
            f"| {src} | {'held' if d['held_out_for_encoder'] else 'split'} | {t['n']} | "
            f"{_f(t['linear'])} | {_f(t['baseline'])} | {_f(t['encoder'])} | {_f(t['stack'])} | "
            f"{_f(c['roc_auc'])} ({c['encoder_share']:.2f}) | {'met' if ok else 'missed'} |"
        )
    modes = enc.get("modes") or {}
    if modes:
        cases = sorted({k for m in modes.values() for k in m["functional"]})
        lines += [
            "",
            "Shipped artifacts by `MODERATION_ENCODER` mode: identity-term templates flagged "
            "(`models/testsets/identity_templates.jsonl`, 360 group mentions without an attack; "
            "target ≤ 3 %) and accuracy per case type of `functional.jsonl` (targets ≥ 0.80 for "
            "negation, counter_speech, identity_mention).",
            "",
            "| mode | identity false alarms | " + " | ".join(cases) + " |",
            "|---|---|" + "---|" * len(cases),
        ]
        for mode, m in modes.items():
            fa = m["identity_templates"]["false_alarm_rate"]
            acc = " | ".join(_f(m["functional"].get(k)) for k in cases)
            lines.append(f"| {mode} | {fa:.1%} | {acc} |")
    return [*lines, ""]


def missing_sources(manifest: dict[str, Any]) -> list[str]:
    """A line per source of the shipped models that a retrain went without (``--allow-missing``)."""
    lines = []
    for name, entry in manifest["models"].items():
        for missing in entry.get("missing_sources", []):
            line = (
                f"**Trained without `{missing['source']}`**: the shipped {name} model had "
                f"{missing['shipped_rows']} rows of it"
            )
            fetch = missing.get("fetch")
            lines.append(f"{line}; fetch it with `{fetch}`." if fetch else f"{line}.")
    return lines


def render_model_card(results: Results, manifest: dict[str, Any]) -> str:
    """MODEL_CARD.md: the fixed text of :data:`CARD_INTRO` followed by the figures."""
    data = markdown_table(
        ["model", "source", "rows", "licence", "mapping"],
        (
            [name, d["source"], d["rows"], d["licence"], d["mapping"]]
            for name, entry in manifest["models"].items()
            for d in entry["data"]
        ),
    )
    if missing_sources(manifest):
        # A blank line first: a plain line right after a table would read as one of its rows.
        data += ["", *missing_sources(manifest)]
    th = ", ".join(f"`{k}` {v}" for k, v in manifest["thresholds"].items())
    versions = ", ".join(
        f"{k} `{v['version']}` (sha256 {v['sha256'][:12]}…, trained {v['trained_at']})"
        for k, v in manifest["models"].items()
    )
    out = [
        CARD_INTRO.rstrip(),
        "",
        *section("Versions", [versions]),
        *section("Training data", data),
        *section("Shipped thresholds", [th]),
        f"## Figures (from `moderation evaluate`, {results['evaluated_at']})",
        "",
        *section("The targets", targets(results), level=3),
        *sections(results, CARD_FIGURES, level=3),
        *blog_spam.card_section(results),
        *encoder_section(results),
        "Full per-label tables and the failing cases: `EVALUATION.md`.",
        "",
        # The other languages' part, kept on every rewrite (models.evaluate.languages_card).
        languages_card.render(manifest, languages_card.routing_figures()),
    ]
    return "\n".join(out)
