"""The sets of the other languages: one :class:`Source` record each, by ISO 639-1 code.

Each language's model learns only from its own sets (``models.training.languages``), so these
records are apart from :data:`~models.training.datasets.SOURCES` (the English models' sources).
Every loader marks each row's ``split``: the official test split where the set has one
(GermEval 2018, HASOC, PolEval, OffensEval; HatEval's dev file and RUSSE's dev file, the
organisers' own held-out files), else a fixed 20% chosen by a hash of the text, so a text and
its near-copies always fall on the same side.  Twitter artefacts (``|LBR|``, ``<LF>``) become
line breaks here; mentions, ``@USER``/``URL`` placeholders and links are removed by the
featurizer (``models.features.tox_texts``) for every source alike.

Licences are as the sets' folders state them (``../shared/datasets/README.md``): only the sets
in :data:`PERMISSIVE` may train a model for ``--licence permissive``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from models.training.datasets.rows import Example, Source, clean_text, dedupe_key, example

TEST_SHARE = 0.2


def hashed_split(text: str) -> str:
    """``test`` for a fixed :data:`TEST_SHARE` of texts (by a hash of the dedupe key)."""
    digest = hashlib.sha256(dedupe_key(text).encode("utf-8")).digest()
    return "test" if int.from_bytes(digest[:4], "big") % 1000 < TEST_SHARE * 1000 else "train"


def _row(text: str, source: str, labels: dict[str, int | None], split: str) -> Example:
    ex = example(clean_text(text), source, labels)
    ex.split = split
    return ex


def _tsv(path: Path, quoting: int = csv.QUOTE_NONE) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=quoting)


def load_germeval(data_dir: Path) -> Iterator[Example]:
    """GermEval 2018: OFFENSE -> toxicity; INSULT -> insult; PROFANITY -> profanity."""
    base = data_dir / "raw" / "germeval2018-german"
    for name, split in (("germeval2018.training.txt", "train"), ("germeval2018.test.txt", "test")):
        for line in (base / name).read_text(encoding="utf-8").splitlines():
            text, coarse, fine = line.split("\t")
            labels = {
                "toxicity": int(coarse == "OFFENSE"),
                "insult": int(fine == "INSULT"),
                "profanity": int(fine == "PROFANITY"),
            }
            yield _row(text.replace("|LBR|", "\n"), "germeval2018-german", labels, split)


def _hasoc(data_dir: Path, language: str) -> Iterator[Example]:
    name = {"de": "german", "hi": "hindi"}[language]
    base = data_dir / "raw" / "hasoc2019-german-hindi"
    files = (
        (f"training_data/{name}_dataset.tsv", "train"),
        (f"test_data_gold/{name}_data.tsv", "test"),
    )
    for path, split in files:
        for r in _tsv(base / path):
            hof, prfn = r["task_1"] == "HOF", r["task_2"] == "PRFN"
            labels = {"toxicity": int(hof), "profanity": int(prfn)}
            yield _row(r["text"], f"hasoc2019-{language}", labels, split)


def load_hasoc_de(data_dir: Path) -> Iterator[Example]:
    """HASOC 2019 German: HOF -> toxicity; PRFN -> profanity."""
    return _hasoc(data_dir, "de")


def load_hasoc_hi(data_dir: Path) -> Iterator[Example]:
    """HASOC 2019 Hindi: HOF -> toxicity; PRFN -> profanity."""
    return _hasoc(data_dir, "hi")


def load_hateval(data_dir: Path) -> Iterator[Example]:
    """HatEval 2019 Spanish: HS -> toxicity and identity_attack (dev file held out)."""
    base = data_dir / "raw" / "hateval2019-spanish"
    for name, split in (("train_es.tsv", "train"), ("dev_es.tsv", "test")):
        for r in _tsv(base / name):
            text = r["text"]
            if len(text) > 1 and text.startswith('"') and text.endswith('"'):
                text = text[1:-1].replace('""', '"')  # an earlier export's CSV quoting
            hs = int(r["HS"])
            yield _row(text, "hateval2019-spanish", {"toxicity": hs, "identity_attack": hs}, split)


def load_told_br(data_dir: Path) -> Iterator[Example]:
    """ToLD-Br: a majority (2 of 3) per category; rows with only single flags are left out."""
    path = data_dir / "raw" / "told-br-portuguese" / "ToLD-BR.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            v = {k: float(x) for k, x in r.items() if k != "text"}
            top = max(v.values())
            if 0 < top < 2:
                continue
            identity = max(v["homophobia"], v["racism"], v["misogyny"], v["xenophobia"])
            labels = {
                "toxicity": int(top >= 2),
                "insult": int(v["insult"] >= 2),
                "profanity": int(v["obscene"] >= 2),
                "identity_attack": int(identity >= 2),
            }
            yield _row(r["text"], "told-br-portuguese", labels, hashed_split(r["text"]))


def load_haspeede(data_dir: Path) -> Iterator[Example]:
    """HaSpeeDe 2018 Twitter: hs -> toxicity and identity_attack."""
    path = data_dir / "raw" / "haspeede2018-italian-twitter" / "haspeede_TW-train.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            _id, text, hs = line.split("\t")
            labels = {"toxicity": int(hs), "identity_attack": int(hs)}
            yield _row(text, "haspeede2018-italian", labels, hashed_split(text))


# MLMA's hostility values that are toxic; `fearful` and `normal` are not.
MLMA_TOXIC = frozenset({"offensive", "abusive", "hateful", "disrespectful"})


def _french_superset(data_dir: Path, dataset: str) -> Iterator[Example]:
    path = data_dir / "raw" / "french-hate-collection" / "fr_hf.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["dataset"] == dataset:
                labels = {"toxicity": int(r["labels"])}
                yield _row(r["text"], f"french-{dataset}", labels, hashed_split(r["text"]))


def load_french_sexism(data_dir: Path) -> Iterator[Example]:
    """The superset's ``sexism`` rows (Chiril et al. 2020): 1 -> toxicity."""
    return _french_superset(data_dir, "sexism")


def load_french_cyberado(data_dir: Path) -> Iterator[Example]:
    """The superset's ``cyberado`` rows (CyberAgressionAdo-v1): 1 -> toxicity."""
    return _french_superset(data_dir, "cyberado")


def load_mlma_fr(data_dir: Path) -> Iterator[Example]:
    """MLMA French: offensive/abusive/hateful/disrespectful -> toxicity, else clean."""
    path = data_dir / "raw" / "french-hate-collection" / "fr_dataset.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            toxic = int(bool(set(r["sentiment"].split("_")) & MLMA_TOXIC))
            yield _row(r["tweet"], "mlma-french", {"toxicity": toxic}, hashed_split(r["tweet"]))


def load_russe(data_dir: Path) -> Iterator[Example]:
    """RUSSE 2022 detox pairs: toxic side -> toxicity 1, each distinct rewrite -> 0."""
    base = data_dir / "raw" / "russe-detox-russian"
    for name, split in (("train.tsv", "train"), ("dev.tsv", "test")):
        with (base / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh, delimiter="\t"):
                toxic = r["toxic_comment"]
                yield _row(toxic, "russe-detox-russian", {"toxicity": 1}, split)
                for k in ("neutral_comment1", "neutral_comment2", "neutral_comment3"):
                    clean = (r.get(k) or "").strip()
                    if clean and dedupe_key(clean) != dedupe_key(toxic):
                        yield _row(clean, "russe-detox-russian", {"toxicity": 0}, split)


def load_poleval(data_dir: Path) -> Iterator[Example]:
    """PolEval 2019 task 6.1: 1 -> toxicity (official test split held out)."""
    base = data_dir / "raw" / "poleval2019-polish"
    for prefix, split in (("training_set", "train"), ("test_set", "test")):
        texts = (base / f"{prefix}_clean_only_text.txt").read_text(encoding="utf-8").split("\n")
        tags = (base / f"{prefix}_clean_only_tags.txt").read_text(encoding="utf-8").split("\n")
        for text, tag in zip(texts, tags, strict=False):
            tag = tag.strip()
            if tag in ("0", "1") and text.strip():
                yield _row(text.rstrip("\r"), "poleval2019-polish", {"toxicity": int(tag)}, split)


_OFFENSEVAL = {
    "ar": ("offenseval-ar-training-v1.tsv", "offenseval-ar-dev-v1.tsv", "arabic-goldlabels.csv"),
    "da": ("offenseval-da-training-v1.tsv", None, "danish-goldlabels.csv"),
    "el": ("offenseval-greek-training-v1.tsv", None, "greek-goldlabels.csv"),
    "tr": ("offenseval-tr-training-v1.tsv", None, "turkish-goldlabels.tsv"),
}


def _offenseval(data_dir: Path, language: str) -> Iterator[Example]:
    base = data_dir / "raw" / "offenseval2020-multilingual" / language
    train, dev, gold_file = _OFFENSEVAL[language]
    source = f"offenseval2020-{language}"
    for name in (train, dev):
        if name is None:
            continue
        for line in (base / name).read_text(encoding="utf-8").splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 3 and parts[2].strip() in ("OFF", "NOT"):
                text = parts[1].replace("<LF>", "\n")
                yield _row(text, source, {"toxicity": int(parts[2].strip() == "OFF")}, "train")
    gold = {}
    for line in (base / gold_file).read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(",")
        if len(parts) == 2 and parts[1] in ("OFF", "NOT"):
            gold[parts[0]] = int(parts[1] == "OFF")
    for line in (base / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] in gold:
            yield _row(parts[1].replace("<LF>", "\n"), source, {"toxicity": gold[parts[0]]}, "test")


def load_offenseval_ar(data_dir: Path) -> Iterator[Example]:
    """OffensEval 2020 Arabic (training + dev; official test held out): OFF -> toxicity."""
    return _offenseval(data_dir, "ar")


def load_offenseval_da(data_dir: Path) -> Iterator[Example]:
    """OffensEval 2020 Danish: OFF -> toxicity."""
    return _offenseval(data_dir, "da")


def load_offenseval_el(data_dir: Path) -> Iterator[Example]:
    """OffensEval 2020 Greek: OFF -> toxicity."""
    return _offenseval(data_dir, "el")


def load_offenseval_tr(data_dir: Path) -> Iterator[Example]:
    """OffensEval 2020 Turkish: OFF -> toxicity."""
    return _offenseval(data_dir, "tr")


_RESEARCH = "not stated: research use"
_OE_MAPPING = "OFF -> toxicity=1, NOT -> 0; <LF> -> line break; official test file held out"


def _oe(code: str, loader: object) -> Source:
    return Source(
        f"offenseval2020-{code}",
        "toxicity",
        _RESEARCH,
        "tweets" if code != "da" else "social-media comments",
        _OE_MAPPING,
        loader,  # type: ignore[arg-type]
    )


LANGUAGE_SOURCES: dict[str, tuple[Source, ...]] = {
    "de": (
        Source(
            "germeval2018-german",
            "toxicity",
            "CC BY 4.0",
            "tweets",
            "OFFENSE -> toxicity=1; INSULT -> insult=1; PROFANITY -> profanity=1; OTHER -> 0; "
            "|LBR| -> line break; official test file held out",
            load_germeval,
        ),
        Source(
            "hasoc2019-de",
            "toxicity",
            _RESEARCH,
            "tweets and Facebook posts",
            "HOF -> toxicity=1; PRFN -> profanity=1; NOT -> 0; official test file held out",
            load_hasoc_de,
        ),
    ),
    "es": (
        Source(
            "hateval2019-spanish",
            "toxicity",
            "CC BY-NC 4.0 (non-commercial)",
            "tweets",
            "HS=1 -> toxicity=1, identity_attack=1; HS=0 -> 0 (rude but not hateful tweets are "
            "0 too); dev file held out",
            load_hateval,
        ),
    ),
    "pt": (
        Source(
            "told-br-portuguese",
            "toxicity",
            "CC BY-SA 4.0",
            "tweets",
            "2 of 3 annotators: insult -> insult, obscene -> profanity, homophobia/racism/"
            "misogyny/xenophobia -> identity_attack, any -> toxicity; no flag -> 0; single "
            "flags left out; 20% held out by text hash",
            load_told_br,
        ),
    ),
    "it": (
        Source(
            "haspeede2018-italian",
            "toxicity",
            "CC BY-NC-SA 4.0 (non-commercial)",
            "tweets",
            "hs=1 -> toxicity=1, identity_attack=1; 0 -> 0; 20% held out by text hash",
            load_haspeede,
        ),
    ),
    "fr": (
        Source(
            "french-sexism",
            "toxicity",
            "rights unclear (gated superset copy): research use",
            "tweets",
            "labels 1 (sexist) -> toxicity=1, 0 -> 0; 20% held out by text hash",
            load_french_sexism,
        ),
        Source(
            "french-cyberado",
            "toxicity",
            "rights unclear (gated superset copy): research use",
            "teenagers' role-play chat",
            "labels 1 -> toxicity=1, 0 -> 0; 20% held out by hash",
            load_french_cyberado,
        ),
        Source(
            "mlma-french",
            "toxicity",
            "MIT",
            "tweets",
            "sentiment offensive/abusive/hateful/disrespectful -> toxicity=1, else 0; 20% held "
            "out by text hash",
            load_mlma_fr,
        ),
    ),
    "ru": (
        Source(
            "russe-detox-russian",
            "toxicity",
            _RESEARCH,
            "social-media comments",
            "toxic sentence -> toxicity=1, each distinct neutral rewrite -> 0 (no ordinary clean "
            "comments); dev file held out",
            load_russe,
        ),
    ),
    "pl": (
        Source(
            "poleval2019-polish",
            "toxicity",
            "not stated (tweet texts the authors publish only as ids): research use",
            "tweets",
            "1 -> toxicity=1, 0 -> 0; official test file held out",
            load_poleval,
        ),
    ),
    "ar": (_oe("ar", load_offenseval_ar),),
    "tr": (_oe("tr", load_offenseval_tr),),
    "da": (_oe("da", load_offenseval_da),),
    "el": (_oe("el", load_offenseval_el),),
    "hi": (
        Source(
            "hasoc2019-hi",
            "toxicity",
            _RESEARCH,
            "tweets and Facebook posts",
            "HOF -> toxicity=1; PRFN -> profanity=1; NOT -> 0; official test file held out",
            load_hasoc_hi,
        ),
    ),
}

# The sets whose licence allows any use (``moderation train --licence permissive``).
PERMISSIVE: frozenset[str] = frozenset({"germeval2018-german", "told-br-portuguese", "mlma-french"})


def language_sources(language: str, licence: str = "all") -> tuple[Source, ...]:
    """The sets of ``language``: all of them, or (``licence="permissive"``) the permissive ones."""
    sources = LANGUAGE_SOURCES.get(language, ())
    if licence == "permissive":
        return tuple(s for s in sources if s.name in PERMISSIVE)
    return sources


def load_language(data_dir: Path, language: str, licence: str = "all") -> list[Example]:
    """The rows of a language's sets, deduplicated: a text once per split, and a training
    text that is also a test text dropped (no test text is ever trained on)."""
    rows = [ex for s in language_sources(language, licence) for ex in s.load(data_dir)]
    test = {dedupe_key(ex.text) for ex in rows if ex.split == "test"}
    seen: set[tuple[str, str | None]] = set()
    out = []
    for ex in rows:
        key = (dedupe_key(ex.text), ex.split)
        if key in seen or (ex.split == "train" and key[0] in test) or not ex.text:
            continue
        seen.add(key)
        out.append(ex)
    return out
