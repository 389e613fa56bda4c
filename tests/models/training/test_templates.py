"""Template-made functional cases: both uses of every group, a held-out fifth of templates."""

from __future__ import annotations

from collections import Counter

from models.training.datasets import load_all, templates
from models.training.datasets.templates import CASES, template_cases


def test_held_out_templates_never_reach_training() -> None:
    train = {c.text for c in template_cases("train")}
    heldout = {c.text for c in template_cases("heldout")}
    assert train and heldout and not train & heldout
    # Held out by template, so no held-out sentence differs from a training one by its group.
    skeletons = {t for _, ts in CASES.values() for t in ts}
    held_templates = {t for t in skeletons if templates._held_out(t)}
    assert 0.1 < len(held_templates) / len(skeletons) < 0.35


def test_every_group_appears_both_hated_and_civil() -> None:
    cases = template_cases("train")
    for plural, _ in templates.GROUPS:
        kinds = {c.labels["toxicity"] for c in cases if plural in c.text}
        assert kinds == {0, 1}, plural


def test_labels_follow_the_case_type() -> None:
    cases = template_cases("train")
    by_case = Counter(c.case for c in cases)
    assert set(by_case) == set(CASES)
    for c in cases:
        if c.case.startswith("threat"):
            assert c.labels["threat"] == 1 and c.labels["toxicity"] == 1
        if c.case.startswith(("civil", "counter")) or c.case == "violent_words_innocent":
            assert set(c.labels.values()) == {0}


def test_the_training_source_loads_the_train_split(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = load_all(tmp_path, sources=[templates.SOURCE], handwritten=False)
    assert len(rows) == len(template_cases("train"))
    assert all(r.meta["case"] in CASES for r in rows)
