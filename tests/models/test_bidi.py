"""Bidirectional controls: text comes out in the order a reader sees it, each character still
pointing at the one it came from."""

from __future__ import annotations

import pytest

from models.text.bidi import reading_order

RLO, LRO, PDF, RLE, LRE = "\u202e", "\u202d", "\u202c", "\u202b", "\u202a"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"


@pytest.mark.parametrize(
    ("stored", "seen"),
    [
        (f"you {RLO}toidi{PDF}", "you idiot"),
        (f"you {RLO}toidi", "you idiot"),  # an override nobody closes runs to the end
        (f"you {RLI}{RLO}toidi{PDI}", f"you {RLI}idiot{PDI}"),  # the isolate's pop ends it
        (f"you {LRI}{RLO}toidi{PDF}{PDI}!", f"you {LRI}idiot{PDI}!"),
        (f"{FSI}{RLO}toidi{PDI} you", f"{FSI}idiot{PDI} you"),
        (f"you {LRO}{RLO}toidi{PDF}{PDF}", "you idiot"),
        # Nested: the inner left-to-right override reads forwards inside the reversed run.
        (f"{RLO}ab {LRO}cd{PDF} ef{PDF}", "fe cd ba"),
        # Two overridden runs side by side are shown as one reversed run.
        (f"x {RLO}yt{PDF}{RLO}oidi{PDF}", "x idioty"),
        (f"a{RLO}123{PDF}b", "a321b"),
        # Embeddings and isolates do not reverse Latin letters: a reader sees them as stored.
        (f"{RLE}hello world{PDF}", "hello world"),
        (f"you {RLI}toidi{PDI}", f"you {RLI}toidi{PDI}"),
        (f"{LRE}fine{PDF}", "fine"),
        # Each paragraph on its own: an override ends at the line's end.
        (f"one {RLO}ba\ndc{PDF} two", "one ab\ndc two"),
    ],
)
def test_text_comes_out_in_the_order_it_is_shown(stored: str, seen: str) -> None:
    text, order = reading_order(stored)
    assert text == seen
    assert order is not None and [stored[i] for i in order] == list(text)


@pytest.mark.parametrize(
    "stored",
    [
        "שלום עולם",
        f"שלום {RLE}עולם{PDF} ok",
        f"hi {RLE}שלום עולם{PDF} there",
        f"{RLO}שלום{PDF}",
        "مرحبا بالعالم 2026",
    ],
)
def test_right_to_left_text_keeps_its_logical_order(stored: str) -> None:
    text, _ = reading_order(stored)
    controls = {RLO, LRO, PDF, RLE, LRE}
    assert text == "".join(ch for ch in stored if ch not in controls)


def test_an_override_in_right_to_left_text_is_read_forwards_too() -> None:
    assert reading_order(f"שלום {RLO}toidi{PDF}")[0] == "שלום idiot"


def test_text_without_controls_is_returned_as_is() -> None:
    stored = "plain text, \u200emarks\u200f and שלום"
    assert reading_order(stored) == (stored, None)


def test_offsets_point_at_the_characters_the_reader_sees() -> None:
    stored = f"you {RLO}toidi{PDF} really"
    text, order = reading_order(stored)
    assert order is not None
    start = text.index("idiot")
    span = order[start : start + 5]
    # The reversed word covers exactly the stored "toidi", first to last.
    assert (min(span), max(span) + 1) == (stored.index("toidi"), stored.index("toidi") + 5)
    assert stored[order[text.index("really")]] == "r"


def test_deep_nesting_stops_at_the_limit_and_stays_linear() -> None:
    stored = (RLO + LRO) * 200 + "toidi" + PDF * 400 + " tail"
    text, order = reading_order(stored)
    assert order is not None and "tail" in text
    assert len(text) == len("toidi tail")
    big = (f"you {RLO}toidi{PDF} " * 3000)[:60000]
    assert reading_order(big)[0].count("idiot") >= 2900
