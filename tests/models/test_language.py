"""The language gate: confident foreign comments are named, short or unsure ones are scored."""

# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from models.language import (
    MIN_CONFIDENCE,
    UNDETERMINED,
    Detection,
    detect,
    readable_text,
    unsupported_language,
)

FOREIGN = [
    ("de", "Das ist ein sehr guter Artikel, aber die Zahlen zum Haushalt stimmen leider nicht."),
    ("fr", "Je ne suis pas d'accord avec l'auteur, la réforme des retraites est injuste."),
    ("es", "No estoy de acuerdo con el artículo, el alcalde debería dimitir ya mismo."),
    ("pt", "Muito bom o vídeo, parabéns pelo trabalho! Quando sai o próximo episódio?"),
    ("it", "Articolo interessante, però il sindaco non ha mai risposto alle domande."),
    ("ru", "Очень хорошая статья, но автор забыл упомянуть расходы на дороги."),
    ("zh", "这篇文章写得很好，但是作者忘记提到预算的问题了。"),
    ("ar", "مقال رائع، لكن الكاتب نسي أن يذكر مشكلة الميزانية في المدينة."),
]
ENGLISH_HARD = [
    "lol ok",
    "omg!!!",
    "Best song ever!!!!",
    "Charlie from LOST?",
    "swhrt how u dey, hope ur ok, tot about u 2day. love n miss. take care.",
    "PSY - GANGNAM STYLE (강남스타일) M/V: http://youtu.be/9bZkp7q19f0",
    "SHUT UP, THIS IS THE WORST ARTICLE I HAVE READ ALL YEAR, WHO EDITS THIS PAPER",
    "I&#39;m a subscriber<br />and I love this channel",
    "https://www.facebook.com/pages/Mathster-WP/1495323920744243?ref=hl",
    "Check out this playlist on YouTube:🍴🍴🏄🏄🏄🍴🏄🏄🏄🏄🏊🏊🏊🏊🍴🍴🍴🍴🍴🏂🏂🏂",
    "",
]


@pytest.mark.parametrize(("code", "text"), FOREIGN)
def test_confident_foreign_comments_are_named(code: str, text: str) -> None:
    found = detect(text)
    assert found.code == code
    assert found.confidence >= MIN_CONFIDENCE
    assert unsupported_language(text) == code
    # A site whose models read that language passes it through.
    assert unsupported_language(text, supported=frozenset({"en", code})) is None


@pytest.mark.parametrize("text", ENGLISH_HARD)
def test_short_informal_and_mixed_english_is_scored(text: str) -> None:
    assert unsupported_language(text) is None
    assert detect(text).code in ("en", UNDETERMINED)


def test_plain_english_is_english() -> None:
    found = detect("The council should publish the full budget before the vote, not after it.")
    assert found == Detection("en", found.confidence) and found.confidence > 0.9


def test_short_text_is_undetermined_not_foreign() -> None:
    assert detect("Gracias!") == Detection(UNDETERMINED, 0.0)


def test_readable_text_drops_links_handles_digits_and_minority_scripts() -> None:
    s = readable_text("@bob see https://x.example/a 2014 &amp; PSY (강남스타일) rocks <br />")
    assert s == "see & PSY ( ) rocks"
