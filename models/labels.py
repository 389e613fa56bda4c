"""The label names the models score and the service reports: the one definition.

Imports nothing, so ``moderation`` may import it at module import time (the one exception to the
import rules).  The names are Perspective's and Detoxify's, which moderators already know.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """One label; a member equals (and serializes as) its plain string name."""

    SPAM = "spam"
    TOXICITY = "toxicity"
    SEVERE_TOXICITY = "severe_toxicity"
    INSULT = "insult"
    IDENTITY_ATTACK = "identity_attack"
    THREAT = "threat"
    PROFANITY = "profanity"


SPAM: str = Label.SPAM.value
# `toxicity` first: the other toxicity labels are kinds of it (a positive one implies it).
TOXICITY_LABELS: tuple[str, ...] = (
    Label.TOXICITY.value,
    Label.SEVERE_TOXICITY.value,
    Label.INSULT.value,
    Label.IDENTITY_ATTACK.value,
    Label.THREAT.value,
    Label.PROFANITY.value,
)
# Every label, in the order scores are reported.
LABELS: tuple[str, ...] = (SPAM, *TOXICITY_LABELS)
