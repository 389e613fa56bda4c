"""Deduplication across sources: one row per text, and no piece of a comment in another set."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from models.training.datasets.rows import Example, dedupe_key


def _family(label: str) -> str:
    return "spam" if label == "spam" else "toxicity"


def dedupe(rows: Iterable[Example]) -> list[Example]:
    """Merge rows with the same key within a group; a label that conflicts becomes unknown.

    Runs before any split so that a text never sits on both sides of one.  Across groups,
    duplicates are kept once in the first group seen (the Wikipedia folders share a group).
    Moderator feedback is the exception: a site's own label is its policy, so a feedback row
    replaces a public duplicate (keeping the public labels it does not set), and among
    feedback rows with the same text the last one (the latest decision) wins.
    """
    out: dict[str, Example] = {}
    conflicts: dict[str, set[str]] = {}
    for ex in rows:
        k = dedupe_key(ex.text)
        if not k:
            continue
        if k not in out:
            out[k] = ex
            conflicts[k] = set()
            continue
        kept = out[k]
        if ex.source == "feedback":
            # Public labels survive only for the model the moderator did not label: a
            # moderator's toxicity=1 must not inherit the public row's insult=0.
            family = {_family(lab) for lab in ex.labels}
            merged = {
                lab: y
                for lab, y in kept.labels.items()
                if lab not in conflicts[k] and _family(lab) not in family
            }
            ex.labels = {**merged, **ex.labels}
            out[k] = ex
            conflicts[k] = set()
            continue
        if kept.group != ex.group:
            continue
        for lab, y in ex.labels.items():
            if lab in conflicts[k]:
                continue
            if lab in kept.labels and kept.labels[lab] != y:
                conflicts[k].add(lab)
            elif lab not in kept.labels:
                kept.labels[lab] = y
    for k, ex in out.items():
        for lab in conflicts[k]:
            ex.labels.pop(lab, None)
    return [ex for ex in out.values() if ex.labels]


def drop_contained(rows: list[Example], source: str = "paradetox-parallel") -> list[Example]:
    """Drop rows of ``source`` whose text lies inside a longer text of another source.

    ParaDetox sentences were cut from Civil Comments, Jigsaw and Wikipedia comments; whole-text
    dedupe misses that, and leave-one-source-out would then train on pieces of the held-out
    comments.  The civil paraphrases of a dropped toxic sentence go with it (same ``pair``).
    Matching is on :func:`dedupe_key`, through an index of 4-word shingles.
    """
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    others: list[str] = []
    for ex in rows:
        if ex.source != source:
            words = dedupe_key(ex.text).split()
            others.append(" ".join(words))
            for j in range(len(words) - 3):
                index[tuple(words[j : j + 4])].append(len(others) - 1)
    bad_pairs: set[str] = set()
    for ex in rows:
        if ex.source != source or ex.meta.get("kind") == "paraphrase":
            continue
        words = dedupe_key(ex.text).split()
        if len(words) < 4:
            continue
        key = " ".join(words)
        cands = set(index.get(tuple(words[:4]), ())) & set(index.get(tuple(words[-4:]), ()))
        if any(key in others[c] for c in cands):
            bad_pairs.add(ex.meta.get("pair", key))
    return [ex for ex in rows if ex.source != source or ex.meta.get("pair") not in bad_pairs]
