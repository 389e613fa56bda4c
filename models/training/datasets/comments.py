"""Comment-section toxicity sets: news-site, Reddit and Facebook comments and replies."""

from __future__ import annotations

import csv
import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from models.training.datasets.rows import Example, clean_text, dedupe_key, unify_format
from models.training.datasets.rows import example as _ex

_BYTE_RUN = re.compile(r"(?:\\+x[0-9a-fA-F]{2})+")
_ESC = re.compile(r"\\+([ntr'\"])")


def decode_kaggle(raw: str) -> str:
    """Decode the Kaggle-insults ``Comment`` field: quoted, with escaped bytes and newlines.

    Byte escapes come in runs that are UTF-8 sequences written as text (``\\xe2\\x80\\x99``),
    sometimes with doubled backslashes, so runs are decoded as bytes, not one by one.
    """
    s = raw.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1]

    def _bytes(m: re.Match[str]) -> str:
        hexes = re.findall(r"x([0-9a-fA-F]{2})", m.group(0))
        b = bytes(int(h, 16) for h in hexes)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b.decode("latin-1")

    s = _BYTE_RUN.sub(_bytes, s)
    s = _ESC.sub(lambda m: {"n": "\n", "t": "\t", "r": "\n"}.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\\\\", r"\\", s)
    return s


def load_kaggle_insults(d: Path) -> Iterator[Example]:
    """Kaggle 'Detecting Insults' training set: insults to a participant, news comments."""
    with (d / "raw/kaggle-insults/train.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = clean_text(decode_kaggle(r["Comment"]))
            if text:
                y = int(r["Insult"])
                yield _ex(text, "kaggle-insults", {"insult": y, "toxicity": y})


_CIVIL_TYPES = {
    "Insult": "insult",
    "Threat": "threat",
    "Identity based Attack": "identity_attack",
    "Profane/Obscene": "profanity",
}


def load_civil_spans(d: Path) -> Iterator[Example]:
    """Civil Comments toxic spans: news comments, all once rated toxic by Civil Comments raters.

    Per comment: ``toxicity`` = 1 unless a strict majority of its annotators ticked "not toxic"
    (those are hard negatives, not typical clean comments).  A span type marked by >= 2
    annotators sets its label to 1, by none to 0, by exactly one it stays unknown.  The SemEval
    split of the comment (``tsd_train``/``tsd_trial``/``tsd_test``) is kept in ``split``.
    """
    base = d / "raw/civil-comments-toxic-spans"
    n_ann: Counter[str] = Counter()
    n_not: Counter[str] = Counter()
    ann_comment: dict[str, str] = {}
    with (base / "annotations.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            cid = r["comment_id"]
            ann_comment[r["annotation"]] = cid
            n_ann[cid] += 1
            n_not[cid] += r["not toxic"].strip() == "True"
    typed: dict[str, Counter[str]] = defaultdict(Counter)
    with (base / "spans.csv").open(encoding="utf-8", newline="") as fh:
        seen: set[tuple[str, str]] = set()
        for r in csv.DictReader(fh):
            label = _CIVIL_TYPES.get(r["type"].strip())
            cid = ann_comment.get(r["annotation"])
            if label and cid and (r["annotation"], label) not in seen:
                seen.add((r["annotation"], label))
                typed[cid][label] += 1
    split = _civil_tsd_split(base)
    with (base / "comments.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            cid, text = r["comment_id"], clean_text(r["comment_text"])
            if not text or not n_ann[cid]:
                continue
            if 2 * n_not[cid] > n_ann[cid]:
                lab: dict[str, int | None] = {"toxicity": 0}
            else:
                lab = {"toxicity": 1}
                for label in _CIVIL_TYPES.values():
                    k = typed[cid][label]
                    lab[label] = 1 if k >= 2 else (0 if k == 0 else None)
            yield _ex(text, "civil-comments-toxic-spans", lab, split=split.get(text))


def _civil_tsd_split(base: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in ("train", "trial", "test"):
        path = base / f"tsd_{part}.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    out.setdefault(clean_text(r["text"]), part)
    return out


def load_paradetox(d: Path) -> Iterator[Example]:
    """ParaDetox: toxic sentences -> ``toxicity`` = 1; their civil paraphrases -> clean.

    Both sides go through :func:`unify_format`.  A paraphrase equal to its toxic sentence once
    case and punctuation are removed is dropped.  ``cannot_rewrite`` is not used.  Sentences
    that lie inside a comment of another set are removed by :func:`drop_contained`.
    """
    path = d / "raw/paradetox-parallel/paradetox.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh, delimiter="\t")):
            toxic = unify_format(clean_text(r["toxic"] or ""))
            if not toxic:
                continue
            pair = f"paradetox-{i}"
            yield _ex(toxic, "paradetox-parallel", {"toxicity": 1}, meta={"pair": pair})
            for col in ("neutral1", "neutral2", "neutral3"):
                para = unify_format(clean_text(r.get(col) or ""))
                if para and dedupe_key(para) != dedupe_key(toxic):
                    meta = {"pair": pair, "kind": "paraphrase"}
                    yield _ex(para, "paradetox-parallel", {"toxicity": 0}, meta=meta)


def load_ruddit(d: Path) -> Iterator[Example]:
    """Ruddit: offensiveness > 0.5 -> ``toxicity`` = 1, <= 0 -> clean, the middle left out.

    ``[deleted]``/``[removed]`` bodies are dropped.  The comment text is research-use data.
    """
    path = d / "raw/ruddit-reddit-offensiveness/ruddit_with_text.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = clean_text(r["comment_body"] or "")
            if not text or text in ("[deleted]", "[removed]"):
                continue
            score = float(r["offensiveness_score"])
            if score > 0.5:
                yield _ex(text, "ruddit-reddit-offensiveness", {"toxicity": 1})
            elif score <= 0:
                yield _ex(text, "ruddit-reddit-offensiveness", {"toxicity": 0})


def load_trac1(d: Path) -> Iterator[Example]:
    """TRAC-1 English (train + dev): OAG -> ``toxicity`` = 1, NAG -> clean, CAG left out.

    Aggression is not toxicity: trained at low weight.
    """
    base = d / "raw/trac1-facebook-aggression"
    for part in ("train", "dev"):
        with (base / f"agr_en_{part}.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                if len(row) < 3:
                    continue
                text, label = clean_text(row[1]), row[2].strip()
                if text and label in ("OAG", "NAG"):
                    y = int(label == "OAG")
                    yield _ex(text, "trac1-facebook-aggression", {"toxicity": y}, split=part)


# Swear words and slurs that make a reply abusive on its own, whatever it argues.
_ABUSIVE_REPLY = re.compile(
    r"\b(?:fuck\w*|shit\w*|cunt\w*|bitch\w*|asshole\w*|dickhead|retard\w*|moron\w*|"
    r"idiot\w*|stupid|dumbass|twat|wanker|faggot\w*|fag|nigg\w*|whore|slut)\b",
    re.IGNORECASE,
)


def load_counterspeech(d: Path) -> Iterator[Example]:
    """Yu et al. 2022 Reddit replies: hate -> ``toxicity`` = 1; counter-speech and other -> clean.

    The label describes the reply read under its parent; only the reply is scored.  Quoted
    parent lines (``>``) are stripped, so the reply's own words decide.  A counter-speech or
    "other" reply that swears or uses a slur is dropped rather than taught as clean ("fuck off,
    racist").  ``meta["pair"]`` is the parent's key: replies to one parent share a split.
    """
    path = d / "raw/counterspeech-reddit-yu2022/yu_et_al_2022.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            lines = (r["reply"] or "").splitlines()
            lines = [ln for ln in lines if not ln.lstrip().startswith(">")]
            text = clean_text(html.unescape(" ".join(lines)).replace("~~", ""))
            if not text:
                continue
            parent = dedupe_key(r["parent"] or "")
            if r["label"] == "1":
                lab: dict[str, int | None] = {"toxicity": 1}
            elif _ABUSIVE_REPLY.search(text):
                continue
            else:
                lab = {"toxicity": 0}
            kind = {"0": "other", "1": "hate", "2": "counter"}[r["label"]]
            ex = _ex(text, "counterspeech-reddit-yu2022", lab)
            ex.meta = {"pair": parent, "kind": kind}
            yield ex
