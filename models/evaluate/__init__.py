"""Evaluate the models the honest way and write the report and the model card.

One module per job: ``metrics`` (the measures), ``references`` (what we compare against),
``experiments`` (leave-one-source-out toxicity, leave-one-video-out spam, obfuscation,
calibration), ``cases`` (the shipped artifacts on the hand-written sets), ``cost`` (the
``bench/bench_models.py`` subprocess), ``tables`` (the Markdown tables and ``EVALUATION.md``),
``card`` and ``card_text`` (``MODEL_CARD.md``), ``run`` (the whole evaluation, the command line),
``encoder``, ``blog_spam``, ``spans`` and ``language`` (their own figures), and ``artifact`` (one
stored version judged on moderator feedback, for promotion). The shipped artifacts are trained on
everything, so only the hand-written sets are scored with them; every figure on public data comes
from a model that did not see that source.
"""

from __future__ import annotations

from models.evaluate.cost import cost_rows
from models.evaluate.metrics import calibration, label_metrics
from models.evaluate.run import evaluate, main, render, summarize

__all__ = ["calibration", "cost_rows", "evaluate", "label_metrics", "main", "render", "summarize"]
