"""Hate-speech and offensive-language research sets: tweets, Gab, forum and Reddit posts."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

from models.training.datasets.rows import Example, clean_text, unify_format
from models.training.datasets.rows import example as _ex
from models.training.datasets.rows import read_tsv as _read_tsv


def load_davidson(d: Path) -> Iterator[Example]:
    """Davidson et al. tweets: 0 hate, 1 offensive, 2 neither (majority of crowd votes)."""
    path = d / "raw/davidson-hate-speech-offensive/labeled_data.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            c = int(r["class"])
            text = clean_text(r["tweet"])
            if not text:
                continue
            if c == 0:
                lab = {"identity_attack": 1, "toxicity": 1}
            elif c == 1:
                lab = {"toxicity": 1, "identity_attack": 0, "profanity": 1}
            else:
                lab = {"toxicity": 0}
            yield _ex(text, "davidson-hate-speech-offensive", lab)


def load_olid(d: Path) -> Iterator[Example]:
    """OLID (OffensEval 2019) training tweets with the three-level A/B/C annotation."""
    for r in _read_tsv(d / "raw/olid-offenseval2019/olid-training-v1.0.tsv"):
        text = clean_text(r["tweet"])
        if not text:
            continue
        a, b, c = r["subtask_a"].strip(), r["subtask_b"].strip(), r["subtask_c"].strip()
        lab: dict[str, int | None]
        if a == "NOT":
            lab = {"toxicity": 0}
        elif b == "UNT":
            lab = {"toxicity": 1, "profanity": 1, "insult": 0, "identity_attack": 0}
        elif c == "IND":
            lab = {"toxicity": 1, "insult": 1, "identity_attack": 0}
        elif c == "GRP":
            lab = {"toxicity": 1, "identity_attack": 1}
        elif c == "OTH":
            lab = {"toxicity": 1, "insult": 0}
        else:
            lab = {"toxicity": 1}
        yield _ex(text, "olid-offenseval2019", lab)


def load_gab(d: Path) -> Iterator[Example]:
    """Gab Hate Corpus training split: hd (human dignity), cv (call for violence), vo."""
    for r in _read_tsv(d / "raw/gab-hate-corpus/ghc_train.tsv"):
        text = clean_text(r["text"].strip('"').replace('""', '"'))
        if not text:
            continue
        hd, cv, vo = int(r["hd"]), int(r["cv"]), int(r["vo"])
        lab = {
            "identity_attack": hd,
            "threat": cv,
            "profanity": vo,
            "toxicity": int(hd or cv or vo),
        }
        yield _ex(text, "gab-hate-corpus", lab)


def load_hasoc(d: Path) -> Iterator[Example]:
    """HASOC 2019 English training split (task_1 HOF/NOT, task_2 type, task_3 target)."""
    for r in _read_tsv(d / "raw/hasoc2019-english/english_dataset_train.tsv"):
        text = clean_text(r["text"])
        if not text:
            continue
        t1, t2, t3 = r["task_1"].strip(), r["task_2"].strip(), r["task_3"].strip()
        if t1 == "NOT":
            lab: dict[str, int | None] = {"toxicity": 0}
        else:
            lab = {
                "toxicity": 1,
                "identity_attack": int(t2 == "HATE"),
                "profanity": 1 if t2 == "PRFN" else None,
                "insult": 1 if t3 == "TIN" else (0 if t3 == "UNT" else None),
            }
        yield _ex(text, "hasoc2019-english", lab)


def _ih_key(s: str) -> str:
    return " ".join(s.split())


def load_implicit_hate(d: Path) -> Iterator[Example]:
    """Implicit Hate corpus: stage-1 classes, with stage-2 'threatening' joined by post text."""
    base = d / "raw/implicit-hate"
    sub: dict[str, str] = {}
    for r in _read_tsv(base / "implicit_hate_v1_stg2_posts.tsv"):
        sub[_ih_key(r["post"])] = (r["implicit_class"] or "").strip()
    for r in _read_tsv(base / "implicit_hate_v1_stg1_posts.tsv"):
        raw = r["post"].strip()
        if raw.startswith('"') and raw.endswith('"'):
            raw = raw[1:-1].replace('""', '"')
        text = clean_text(raw)
        if not text:
            continue
        cls = r["class"].strip()
        if cls == "not_hate":
            lab: dict[str, int | None] = {"toxicity": 0}
        else:
            st = sub.get(_ih_key(r["post"]))
            threat = None
            if cls == "implicit_hate" and st:
                threat = int(st == "threatening")
            lab = {"toxicity": 1, "identity_attack": 1, "threat": threat}
        yield _ex(text, "implicit-hate", lab, meta={"class": cls})


def load_stormfront(d: Path) -> Iterator[Example]:
    """Stormfront sentences: hate / noHate (relation and idk/skip are dropped)."""
    path = d / "raw/stormfront-hate-speech-vicomtech/stormfront_sentences.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            label = r["label"].strip()
            text = clean_text(r["text"])
            if not text or label not in ("hate", "noHate"):
                continue
            y = int(label == "hate")
            yield _ex(
                text, "stormfront-hate-speech-vicomtech", {"identity_attack": y, "toxicity": y}
            )


_PLACEHOLDER = re.compile(r"<[a-z]+>")


def load_hatexplain(d: Path) -> Iterator[Example]:
    """HateXplain majority labels (official split in ``split``).

    hatespeech -> identity_attack = toxicity = 1; offensive -> toxicity = 1, identity_attack = 0
    (the annotators chose "offensive" over "hate"); normal -> clean.  Placeholders (``<user>``,
    ``<number>``...) are removed and spacing normalised so a model cannot key on them.
    """
    base = d / "raw/hatexplain"
    for part in ("train", "val", "test"):
        for raw, label in json.loads((base / f"{part}.json").read_text(encoding="utf-8")):
            text = unify_format(_PLACEHOLDER.sub(" ", clean_text(raw)))
            if not text:
                continue
            if label == "hatespeech":
                lab = {"toxicity": 1, "identity_attack": 1}
            elif label == "offensive":
                lab = {"toxicity": 1, "identity_attack": 0}
            else:
                lab = {"toxicity": 0}
            yield _ex(text, "hatexplain", lab, split=part)


def load_cad(d: Path) -> Iterator[Example]:
    """CAD (binary derivative): hatespeech -> identity_attack = toxicity = 1; normal ->
    identity_attack = 0 only.

    ``normal`` also holds person-directed abuse, so it says nothing about toxicity or insult.
    ``[linebreak]`` becomes a newline.  Trained at low weight (thread-context labels).
    """
    base = d / "raw/cad-contextual-abuse-rbe"
    for part in ("train", "val", "test"):
        for raw, label in json.loads((base / f"{part}.json").read_text(encoding="utf-8")):
            text = clean_text((raw or "").replace("[linebreak]", "\n"))
            if not text:
                continue
            if label == "hatespeech":
                lab: dict[str, int | None] = {"identity_attack": 1, "toxicity": 1}
            else:
                lab = {"identity_attack": 0}
            yield _ex(text, "cad-contextual-abuse-rbe", lab, split=part)
