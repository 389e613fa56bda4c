"""The model card's part on the other languages: one section per language, from the manifest.

Rendered from the ``languages`` entries of ``manifest.json`` (``models.training.languages``
writes them, figures included) and the routing figures of :mod:`models.evaluate.routing`, into
``MODEL_CARD.md`` between two markers, so the rest of the card (``models.evaluate.card``) is
left as it is and this part can be refreshed on its own:

    python -m models.evaluate.languages_card [--routing routing.json]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from models.artifacts import ARTIFACTS_DIR, read_manifest

START = "<!-- languages:start -->"
END = "<!-- languages:end -->"
NAMES = {
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "ru": "Russian",
    "pl": "Polish",
    "ar": "Arabic",
    "tr": "Turkish",
    "da": "Danish",
    "el": "Greek",
    "hi": "Hindi",
}
# ROC AUC targets of issue 19, on the held-out split.
TARGETS = {"de": 0.85, "es": 0.85, "pt": 0.85, "fr": 0.85, "it": 0.85}
OTHER_TARGET = 0.80
CLEAN_TARGET = 0.03


def _auc(entry: Mapping[str, Any]) -> float | None:
    return (entry.get("metrics", {}).get("held_out", {}).get("toxicity") or {}).get("roc_auc")


def summary(languages: Mapping[str, Any], routing: Mapping[str, Any] | None) -> list[str]:
    """One row per language: AUC, clean flags, routing, licences."""
    lines = [
        "| language | model | labels | held-out toxicity ROC AUC (target) | clean flagged "
        "(≤ 3%) | routed to it (nothing declared / declared) | trained on non-permissive data |",
        "|---|---|---|---|---|---|---|",
    ]
    for code, entry in languages.items():
        held = entry.get("metrics", {}).get("held_out", {})
        auc = _auc(entry)
        target = TARGETS.get(code, OTHER_TARGET)
        met = "met" if auc is not None and auc >= target else "**not met**"
        route = (routing or {}).get("languages", {}).get(code)
        routed = (
            f"{route['undeclared']['to_model']:.1%} / {route['declared']['to_model']:.1%}"
            if route
            else "-"
        )
        flagged = held.get("clean_flagged")
        restricted = [d["source"] for d in entry.get("data", []) if not d.get("permissive")]
        lines.append(
            f"| {NAMES.get(code, code)} (`{code}`) | {entry['version']} | "
            f"{', '.join(entry['labels'])} | {auc} ({target}, {met}) | "
            f"{flagged:.1%} of {held.get('clean_rows')} |"
            f" {routed} | {', '.join(restricted) or 'no'} |"
            if flagged is not None
            else f"| {code} | {entry['version']} | - | - | - | {routed} | - |"
        )
    return lines


def section(code: str, entry: Mapping[str, Any]) -> list[str]:
    """One language's section: data with licences, per-label figures, transfer."""
    held = entry.get("metrics", {}).get("held_out", {})
    lines = [f"### {NAMES.get(code, code)} (`{code}`): {entry['version']}", ""]
    lines.append("| set | rows trained | licence | permissive | medium | mapping |")
    lines.append("|---|---|---|---|---|---|")
    for d in entry.get("data", []):
        flag = "yes" if d.get("permissive") else "**no**"
        lines.append(
            f"| {d['source']} | {d['rows']} | {d['licence']} | {flag} | {d.get('medium', '')} | "
            f"{d['mapping']} |"
        )
    lines += ["", "| label | threshold | held-out ROC AUC | recall at threshold | by set |"]
    lines.append("|---|---|---|---|---|")
    for label in entry["labels"]:
        m = held.get(label) or {}
        by_set = ", ".join(f"{k} {v}" for k, v in (m.get("by_set") or {}).items())
        lines.append(
            f"| {label} | {entry['thresholds'].get(label)} | {m.get('roc_auc', '-')} | "
            f"{m.get('recall', '-')} | {by_set or '-'} |"
        )
    loso = entry.get("metrics", {}).get("leave_one_set_out") or {}
    if loso:
        lines.append("")
        lines.append(
            "Leave one set out (trained on the other sets, scored on this one's held-out rows): "
            + ", ".join(f"{k} {v}" for k, v in loso.items())
            + "."
        )
    lines.append("")
    return lines


def render(manifest: Mapping[str, Any], routing: Mapping[str, Any] | None = None) -> str:
    """The part of the card between the markers (markers included)."""
    languages = manifest.get("languages") or {}
    lines = [START, "## Other languages", ""]
    lines.append(
        "Each language's comments are scored by that language's own model (routing: "
        "`models.language.route`; training: `python -m models.training.languages`; figures on "
        "each set's held-out split, the official test file where there is one). A label the "
        "language's data does not define is not scored at all. Thresholds flag at most 3% of "
        "the training sets' clean rows out of fold; the sets' clean rows are tweets on the "
        "topics the hateful ones are about, not ordinary news comments. Sets marked "
        "non-permissive are non-commercial or research-use only: `moderation train --licence "
        "permissive` builds the languages from the permissive sets alone (German: GermEval "
        "2018; Portuguese: ToLD-Br; French: MLMA) and leaves the others out."
    )
    lines.append("")
    lines += summary(languages, routing)
    lines.append("")
    if routing and routing.get("english"):
        lines.append(
            "English comments routed elsewhere (`python -m models.evaluate.routing`): "
            + "; ".join(
                f"{name} {e['undeclared']['not_english']:.2%} "
                f"(site declaring de, fr: {e['declared_de_fr']['not_english']:.2%})"
                for name, e in routing["english"].items()
            )
            + "."
        )
        lines.append("")
    for code, entry in languages.items():
        lines += section(code, entry)
    lines.append(END)
    return "\n".join(lines) + "\n"


def write(card: Path, manifest: Mapping[str, Any], routing: Mapping[str, Any] | None) -> None:
    """Replace the part between the markers in ``card`` (or append it)."""
    text = card.read_text(encoding="utf-8") if card.exists() else ""
    part = render(manifest, routing)
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + part + after
    else:
        text = text.rstrip("\n") + "\n\n" + part
    card.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models-dir", type=Path, default=ARTIFACTS_DIR)
    parser.add_argument("--routing", type=Path, default=None)
    args = parser.parse_args(argv)
    routing = json.loads(args.routing.read_text()) if args.routing else None
    write(args.models_dir / "MODEL_CARD.md", read_manifest(args.models_dir), routing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
