"""The 2.0 toxicity loaders: mappings, partial labels, format unification, contained sentences."""

from __future__ import annotations

from collections import Counter

import pytest

from models.training import datasets as ds
from models.training.datasets import Example, default_data_dir
from models.training.datasets.comments import (
    load_civil_spans,
    load_paradetox,
    load_ruddit,
    load_trac1,
)
from models.training.datasets.dedupe import drop_contained
from models.training.datasets.hate_speech import load_cad, load_hatexplain
from models.training.datasets.rows import unify_format

DATA = default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "raw" / "civil-comments-toxic-spans").is_dir(),
    reason=f"the 2.0 datasets are not under {DATA} (set MODERATION_DATA_DIR)",
)


def test_unify_format_undoes_tokenizer_spacing() -> None:
    assert unify_format("I do n't care , it 's FINE !") == "i don't care, it's fine!"
    assert unify_format("Normal text, as written.") == "normal text, as written."


def test_drop_contained_removes_sentences_cut_from_other_sets_with_their_paraphrases() -> None:
    comment = "Yet another long comment where you are a total idiot and everyone knows it."
    rows = [
        Example(comment, "civil-comments-toxic-spans", "civil", {"toxicity": 1}),
        Example(
            "you are a total idiot and everyone",
            "paradetox-parallel",
            "p",
            {"toxicity": 1},
            meta={"pair": "p1"},
        ),
        Example(
            "you are wrong",
            "paradetox-parallel",
            "p",
            {"toxicity": 0},
            meta={"pair": "p1", "kind": "paraphrase"},
        ),
        Example(
            "a different toxic sentence here",
            "paradetox-parallel",
            "p",
            {"toxicity": 1},
            meta={"pair": "p2"},
        ),
    ]
    kept = drop_contained(rows)
    assert [r.text for r in kept] == [comment, "a different toxic sentence here"]


@needs_data
def test_civil_comments_mapping() -> None:
    rows = list(load_civil_spans(DATA))
    n = Counter((k, v) for r in rows for k, v in r.labels.items())
    assert len(rows) == 16100
    assert n[("toxicity", 0)] == 4796  # the majority-"not toxic" hard negatives
    assert 400 < n[("identity_attack", 1)] < 480 and 100 < n[("threat", 1)] < 160
    # A label marked by exactly one annotator is unknown, not 0.
    assert any("toxicity" in r.labels and "insult" not in r.labels for r in rows)
    assert Counter(r.split for r in rows)["test"] > 1900


@needs_data
def test_cad_normal_is_not_a_clean_label() -> None:
    for r in load_cad(DATA):
        if r.labels.get("identity_attack") == 0:
            assert set(r.labels) == {"identity_attack"}


@needs_data
def test_paradetox_and_hatexplain_formats_are_unified() -> None:
    para = list(load_paradetox(DATA))
    hx = list(load_hatexplain(DATA))
    for rows in (para, hx):
        assert all(r.text == r.text.lower() for r in rows)
        assert not any(" n't" in r.text or " ," in r.text for r in rows)
    assert not any("<user>" in r.text or "<number>" in r.text for r in hx)


@needs_data
def test_ruddit_trac_cat_mappings() -> None:
    ruddit = list(load_ruddit(DATA))
    assert Counter(r.labels["toxicity"] for r in ruddit) == {0: 3380, 1: 460}
    trac = Counter(r.labels["toxicity"] for r in load_trac1(DATA))
    assert trac[1] > 3000 and trac[0] > 6000
    cat = [r for r in ds.SOURCES["wikipedia-context-toxicity-cat"].load(DATA)]
    assert all(r.group == "wikipedia" for r in cat)


@needs_data
def test_all_sets_deduplicated_and_news_source_its_own_group() -> None:
    sources = [*ds.TOX_SOURCES]
    rows = ds.load_all(DATA, sources=sources, handwritten=False)
    keys = Counter(ds.dedupe_key(r.text) for r in rows)
    assert max(keys.values()) == 1
    civil = [r for r in rows if r.source == ds.NEWS_SOURCE]
    assert civil and {r.group for r in civil} == {ds.NEWS_SOURCE}
    # No ParaDetox sentence survives inside a Civil Comments comment.
    joined = " | ".join(ds.dedupe_key(r.text) for r in civil)
    # (Paraphrases are crowd-written, not cut from comments: "good luck with that" may recur.)
    para = [
        ds.dedupe_key(r.text)
        for r in rows
        if r.source == "paradetox-parallel" and r.meta.get("kind") != "paraphrase"
    ]
    inside = [p for p in para if len(p.split()) >= 4 and f" {p} " in f" {joined} "]
    assert inside == []
