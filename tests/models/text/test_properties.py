"""Properties every input keeps (seeded fuzz over random Unicode): offsets valid and
non-decreasing, `normalize` idempotent and equal to `normalize_with_offsets`, linear time."""

# Look-alike characters are what these tests are about.

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.text import normalize, to_original_span
from tests.models.text.corpus import CORPUS, EVASIVE, assert_offsets_valid

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("text", CORPUS + EVASIVE)
def test_idempotent_and_offsets_valid(text: str) -> None:
    norm, _ = assert_offsets_valid(text)
    assert normalize(norm) == norm


# Characters that exercise every stage: separators, leet symbols, link syntax, invisibles,
# combining marks, NFKC expansions, look-alikes, emoji, controls, other scripts.
_FUZZ_ALPHABET = [
    *"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .-_*!@$€[](){}<>/:'\"\t\n,~#%+&=?",
    *"\u200b\u200c\u200d\u2060\ufeff\u00ad\u0301\u0308\u0336\u034f\ufe0f\x00\x85\u2028\u00a0",
    *"ﬁﬃ℡㎏①ǆßİıｉｄｏｔ𝐟ΗηϲаоіѕєжΣς😀👍🏽\U0001f3fb日本",
    " dot ",
    " . ",
    "com",
    "www.",
    "http://",
    "hxxp",
    "[.]",
    "(at)",
    "d0t",
]


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        if rng.random() < 0.8:
            texts.append("".join(rng.choice(_FUZZ_ALPHABET) for _ in range(rng.randint(0, 40))))
        else:  # arbitrary code points, including unassigned ones and surrogates
            texts.append("".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 20))))
    return texts


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_offsets_valid_and_idempotent(seed: int) -> None:
    for text in _random_texts(seed, 2500):
        norm, offsets = assert_offsets_valid(text)
        assert normalize(norm) == norm, repr(text)
        if norm:
            a, b = to_original_span(offsets, 0, len(norm), text)
            assert 0 <= a < b <= len(text)


@pytest.mark.parametrize(
    "text",
    [
        "a " * 20_000,
        "a." * 20_000,
        "x" * 100_000,
        "a[.]" * 5_000,
        "a dot " * 5_000,
        "www." * 10_000,
        "a." * 10_000 + "@" + "b." * 10_000,
        "a.b@c" * 8_000,
        "h4" * 20_000,
        "a" + "\u0301" * 50_000,
        ("a." * 200 + " dot ") * 100,
    ],
)
def test_adversarial_input_takes_linear_time(text: str) -> None:
    """Inputs built to make regular expressions backtrack finish quickly (no quadratic blow-up)."""
    start = time.perf_counter()
    assert_offsets_valid(text)
    assert time.perf_counter() - start < 2.0


def test_speed_of_a_typical_comment() -> None:
    """A loose guard (the real figure is in bench/bench_text.py): far below 1 ms per comment."""
    text = (CORPUS[3] + " " + EVASIVE[1])[:200]
    normalize(text)
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        normalize(text)
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 500e-6


def test_models_text_imports_no_web_or_storage_code() -> None:
    code = (
        "import sys, models.text, models.training.perturb; "
        "bad = [m for m in ('flask', 'redis', 'rq', 'sqlalchemy', 'moderation', 'workers') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
