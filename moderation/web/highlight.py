"""A comment's text cut into runs, each with the explanation spans that cover it.

Explanations are stored per label as ``[{"start", "end", "text", "weight"}]`` (Python string
indices of the text as written); spans of different labels may overlap. The page renders each run
as escaped text, wrapped in a ``<mark>`` naming its labels and weights when a span covers it, so
no part of a comment is ever interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any


@dataclass(frozen=True)
class Run:
    """A stretch of the text and the (label, weight) of every span over it, strongest first."""

    text: str
    labels: tuple[tuple[str, float], ...] = ()

    @property
    def label(self) -> str | None:
        """The label the run is coloured by: its strongest."""
        return self.labels[0][0] if self.labels else None

    @property
    def title(self) -> str:
        return ", ".join(f"{label} {weight:.2f}" for label, weight in self.labels)


def valid_spans(
    text: str, explanations: Mapping[str, Any] | None
) -> list[tuple[int, int, str, float]]:
    """Every usable span as (start, end, label, weight); malformed or out-of-range ones dropped."""
    spans = []
    for label, items in (explanations or {}).items():
        for item in items if isinstance(items, list) else ():
            try:
                start, end = int(item["start"]), int(item["end"])
                weight = float(item.get("weight", 0.0))
            except (KeyError, TypeError, ValueError):
                continue
            start, end = max(0, start), min(len(text), end)
            if start < end:
                spans.append((start, end, str(label), weight))
    return spans


def runs(text: str, explanations: Mapping[str, Any] | None) -> list[Run]:
    """The text as consecutive runs; joined, their texts give back ``text`` exactly."""
    spans = valid_spans(text, explanations)
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    result = []
    for start, end in pairwise(cuts):
        covering: dict[str, float] = {}
        for span_start, span_end, label, weight in spans:
            if span_start <= start and end <= span_end:
                covering[label] = max(weight, covering.get(label, weight))
        ranked = tuple(sorted(covering.items(), key=lambda item: (-abs(item[1]), item[0])))
        result.append(Run(text[start:end], ranked))
    return result


def span_list(text: str, explanations: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The spans as listed beside the text: label, words and weight, strongest first."""
    return [
        {"label": label, "text": text[start:end], "weight": weight}
        for start, end, label, weight in sorted(
            valid_spans(text, explanations), key=lambda span: (-abs(span[3]), span[0])
        )
    ]
