"""The plain-Python WordPiece gives the ids of the ``tokenizers`` package."""

from __future__ import annotations

import json

import pytest

from models.encoder import TOKENIZER_FILE
from models.wordpiece import WordPiece, normalize, pre_tokenize
from tests.models.encoder_files import ARTIFACTS

SPEC = ARTIFACTS / TOKENIZER_FILE
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="no shipped encoder tokenizer")

TEXTS = [
    "You are an IDIOT!!!",
    "Café naïve résumé — déjà vu",
    "don't, won't; it's 5$ (maybe) ~~ `x` ^_^",
    "日本語テキスト 中文 mixed",
    "zero\u200bwidth\x0bcontrol\x85next",
    "no\u00a0break\u2028line",
    "[CLS] literal special [SEP] tokens",
    "😀 emoji ☃ snowman",
    "x" * 150,
    "",
]


def test_normalizer_and_pre_tokenizer_follow_bert() -> None:
    assert normalize("Café\tNAÏVE") == "cafe naive"
    assert pre_tokenize("don't stop!") == ["don", "'", "t", "stop", "!"]


def test_word_pieces_truncation_and_unknown_words() -> None:
    wp = WordPiece(SPEC.read_text(encoding="utf-8"), max_len=8)
    ids = wp.encode("unbelievably long comment about moderation and more words here")
    assert len(ids) == 8 and ids[0] == wp.cls and ids[-1] == wp.sep
    assert wp.encode("x" * 150) == [wp.cls, wp.unk, wp.sep]
    vocab = json.loads(SPEC.read_text(encoding="utf-8"))["model"]["vocab"]
    inverse = {i: t for t, i in vocab.items()}
    full = WordPiece(SPEC.read_text(encoding="utf-8"))
    pieces = [inverse[i] for i in full.encode("antidisestablishmentarianism")[1:-1]]
    assert len(pieces) > 1 and all(p.startswith("##") for p in pieces[1:])
    assert "".join(p.removeprefix("##") for p in pieces) == "antidisestablishmentarianism"


def test_same_ids_as_tokenizers() -> None:
    tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is in the train extra")
    spec = SPEC.read_text(encoding="utf-8")
    ref = tokenizers.Tokenizer.from_str(spec)
    ref.no_padding()
    ref.enable_truncation(128)
    wp = WordPiece(spec)
    for text in TEXTS:
        assert wp.encode(text) == ref.encode(text).ids, text
