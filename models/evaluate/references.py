"""The references our models are measured against, each fitted per fold like our models.

A reference is a function ``fit(rows, labels)`` returning ``predict(texts) -> {label: scores}``.
To compare against another model, write its ``fit`` here and add it to
:data:`TOXICITY_REFERENCES` or :data:`SPAM_REFERENCES`: the experiments then report
``<name>_roc_auc``/``<name>_pr_auc`` per label and ``<name>``/``<name>_perturbed`` for obfuscation.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from models.training.datasets import Example

Predict = Callable[[Sequence[str]], dict[str, np.ndarray]]
Fit = Callable[[Sequence[Example], Sequence[str]], Predict]


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
        """Probability per label it could learn (both classes present in training)."""
        X = self.vec.transform(texts)
        return {k: m.predict_proba(X)[:, 1] for k, m in self.heads.items()}


def plain_baseline(rows: Sequence[Example], labels: Sequence[str]) -> Predict:
    """:class:`PlainBaseline` fitted on ``rows``."""
    return PlainBaseline(rows, labels).proba


def profanity_check_scores(texts: Sequence[str]) -> np.ndarray:
    """The pretrained ``alt-profanity-check`` package's probability (one score, all labels)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from profanity_check import predict_prob

        return np.asarray(predict_prob(list(texts)), dtype=float)


def profanity_check(rows: Sequence[Example], labels: Sequence[str]) -> Predict:
    """``alt-profanity-check`` as shipped (it ignores ``rows``: it is not retrained)."""
    return lambda texts: dict.fromkeys(labels, profanity_check_scores(texts))


TOXICITY_REFERENCES: dict[str, Fit] = {"baseline": plain_baseline, "apc": profanity_check}
SPAM_REFERENCES: dict[str, Fit] = {"baseline": plain_baseline}


def perturbed(texts: Sequence[str], seed: int) -> list[str]:
    """Copies of ``texts`` obfuscated with :func:`models.training.perturb.perturb` (seeded)."""
    from models.training.perturb import perturb

    rng = random.Random(seed)
    return [perturb(t, rng) for t in texts]
