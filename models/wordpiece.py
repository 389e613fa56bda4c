"""BERT's uncased WordPiece tokenizer in plain Python, read from a ``tokenizer.json``.

The service's encoder needs token ids and nothing else; the ``tokenizers`` package would add
about 37 MB to the install (it depends on ``huggingface-hub`` and its HTTP stack), which the
serving size budget cannot carry beside onnxruntime.  This does what ``tokenizers`` does for
all-MiniLM-L6-v2's tokenizer (BertNormalizer with lowercasing, BertPreTokenizer, WordPiece,
``[CLS] … [SEP]``, longest-first truncation); a test checks the ids equal those of
``tokenizers`` on thousands of comments where that package is installed (the ``train`` extra).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

_CJK = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
_OTHER = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _is_cjk(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _CJK)


def _is_punct(c: str) -> bool:
    return (c.isascii() and not c.isalnum() and c.isprintable() and not c.isspace()) or (
        unicodedata.category(c).startswith("P")
    )


def normalize(text: str) -> str:
    """BertNormalizer: drop control characters, whitespace to spaces, space out CJK
    ideographs, strip accents (NFD, non-spacing marks removed), lowercase."""
    out = []
    for c in text:
        if c in "\t\n\r":
            out.append(" ")
            continue
        if c == "\0" or c == "\ufffd" or unicodedata.category(c) in _OTHER:
            continue
        if c.isspace():
            out.append(" ")
        elif _is_cjk(ord(c)):
            out.append(f" {c} ")
        else:
            out.append(c)
    s = unicodedata.normalize("NFD", "".join(out))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s.lower()


def pre_tokenize(text: str) -> list[str]:
    """BertPreTokenizer: split on whitespace, every punctuation character its own word."""
    words: list[str] = []
    for chunk in text.split():
        cur = []
        for c in chunk:
            if _is_punct(c):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(c)
            else:
                cur.append(c)
        if cur:
            words.append("".join(cur))
    return words


class WordPiece:
    """Text to token ids, as the ``tokenizer.json`` of a BERT uncased model defines them."""

    def __init__(self, spec: str, max_len: int = 128) -> None:
        d = json.loads(spec)
        model = d["model"]
        if model.get("type") != "WordPiece" or d["normalizer"].get("type") != "BertNormalizer":
            raise ValueError("not a BERT WordPiece tokenizer.json")
        self.vocab: dict[str, int] = model["vocab"]
        self.unk = self.vocab[model.get("unk_token", "[UNK]")]
        self.prefix = model.get("continuing_subword_prefix", "##")
        self.max_word = int(model.get("max_input_chars_per_word", 100))
        self.cls, self.sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        self.max_len = max_len
        specials = [t["content"] for t in d.get("added_tokens", []) if t.get("special")]
        self._special = {t: self.vocab[t] for t in specials if t in self.vocab}
        self._split = re.compile("(" + "|".join(map(re.escape, self._special)) + ")")
        self._word = lru_cache(maxsize=50_000)(self._word_ids)

    def _word_ids(self, word: str) -> tuple[int, ...]:
        if len(word) > self.max_word:
            return (self.unk,)
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return (self.unk,)
            start = end
        return tuple(ids)

    def encode(self, text: str) -> list[int]:
        """``[CLS]`` + word pieces + ``[SEP]``, at most ``max_len`` ids."""
        ids: list[int] = []
        parts = self._split.split(text) if self._special else [text]
        for part in parts:
            if part in self._special:
                ids.append(self._special[part])
                continue
            for word in pre_tokenize(normalize(part)):
                ids.extend(self._word(word))
        return [self.cls, *ids[: self.max_len - 2], self.sep]

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """:meth:`encode` of each text."""
        return [self.encode(t) for t in texts]
