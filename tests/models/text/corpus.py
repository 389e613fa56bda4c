"""Texts shared by the normalization tests: ordinary comments and evasive ones, and the checks
every normalized output must pass."""

# Look-alike characters are what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

from models.text import normalize, normalize_with_offsets

# Ordinary comments of the kinds the service sees, written for these tests.
CORPUS = [
    "I paid $20 for 3 items and it arrived on the 2nd. Great seller, would buy again in 2026!",
    "Check out my channel http://www.example.com/moretraffic and subscribe!!! Call +44 7935 454150",
    "You are a complete idiot and everyone here knows it. Go away and never come back, loser.",
    "This is a thoughtful article. I disagree with the second point, though: the survey data "
    "does not support the conclusion about rents in the city centre.",
    "FREE entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121 now",
    "Email me at jane.doe@example.org or find me as @jane_doe on the forum.",
    "Visit our shop at shop.example.net for 50% off, only today. Prices from €9.99.",
    "What a stupid, pathetic excuse for journalism. Shut up and do your job.",
    "I think the mayor is wrong about the bus lanes, but the cycle path was a good idea.",
    "Thanks for the recipe! I added 2 cloves of garlic and 100g of butter; it was delicious.",
    "Buy cheap watches now!!! Limited offer, click here www.cheap-watches.biz/offer?id=42",
    "The 1990s were better. My dad had a 4x4 and we listened to mp3s on Win98.",
    "Go kill yourself, nobody wants you here you worthless piece of trash",
    "Congrats to the team on the 3rd win in a row, 3-1 at home is a great result.",
    "If you disagree, fine, but please keep it civil. We are all neighbours here.",
]

EVASIVE = [
    "ｙｏｕ ａｒｅ ａ ｆ ｕ ｃ ｋ ｉ ｎ ｇ ｉｄｉｏｔ",
    "sh!t h4ppens, 1d10t, visit cheap dot com or b1t[.]ly/x",
    "іdіоt ѕtuuuuupid f̸u̷c̶k̴ e x a m p l e . c o m",
    "$hit a$$ b@stard $20 us$20 $$$ 20$",
    "name[at]example[.]com hxxps[:]//evil[.]com",
]


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def assert_offsets_valid(text: str) -> tuple[str, list[int]]:
    """The properties every output must have; returns the normalized text and offsets."""
    norm, offsets = normalize_with_offsets(text)
    assert norm == normalize(text)
    assert len(offsets) == len(norm)
    assert all(0 <= o < len(text) for o in offsets)
    if not BIDI_CONTROLS.intersection(text):  # reordered text follows the reading order
        assert offsets == sorted(offsets), "offsets must be non-decreasing"
    return norm, offsets
