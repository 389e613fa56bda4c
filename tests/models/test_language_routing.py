"""``models.language.route``: which language's model scores a comment, with the real detector.

The scorers are stand-ins here (routing reads only ``english.languages``); the shipped models
are scored through the worker and the protocols in ``tests/workers/test_languages.py`` and
``tests/moderation/compat/test_perspective_languages.py``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from models.language import base_code, route

SHIPPED = ("de", "fr", "es", "pt", "it", "ar")


@pytest.fixture(scope="module")
def english() -> Any:
    return SimpleNamespace(languages={code: f"model-{code}" for code in SHIPPED})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Das ist doch völliger Unsinn, was die Regierung da wieder beschlossen hat.", "de"),
        ("Je ne suis pas du tout d'accord avec l'auteur de cet article ridicule.", "fr"),
        ("No estoy de acuerdo con nada de lo que dice este artículo, qué vergüenza.", "es"),
        ("Você não sabe do que está falando, essa matéria é uma vergonha completa.", "pt"),
        ("Non sono per niente d'accordo con quello che scrive il giornalista oggi.", "it"),
    ],
)
def test_a_language_with_a_model_is_scored_by_it(english: Any, text: str, code: str) -> None:
    routed = route(text, english)
    assert (routed.language, routed.scorer, routed.how) == (code, f"model-{code}", "detected")


def test_english_stays_english_whatever_the_site_declares(english: Any) -> None:
    for text in (
        "Thanks for the clear write-up, the second chart made it click for me.",
        "you absolute idiot",
        "lol ok",
        "Merkel and Macron met in Berlin today to talk about the budget.",
    ):
        for declared in ((), ("de",), ("de", "fr")):
            routed = route(text, english, declared=declared)
            assert routed.language == "en" and routed.scorer is english, (text, declared)


def test_a_short_text_follows_the_sites_declared_languages(english: Any) -> None:
    assert route("ok danke", english).language == "en"  # nothing declared: 7x is not enough
    routed = route("ok danke", english, declared=["de"])
    assert (routed.language, routed.how) == ("de", "declared")
    assert route("Halt die Fresse", english, declared=["de", "en"]).language == "de"
    # As likely English as German: English.
    assert route("Fuck", english, declared=["de"]).language == "en"
    # A declared language without a model leaves the short text unread, never English.
    routed = route("dank je wel", english, declared=["nl"])
    assert routed.scorer is None or routed.language == "en"


def test_the_requested_language_wins_when_it_has_a_model(english: Any) -> None:
    text = "This is plainly English, but the request says Portuguese."
    routed = route(text, english, requested="pt-BR")
    assert (routed.language, routed.how) == ("pt", "requested")
    assert route(text, english, requested=["nl", "de"]).language == "de"
    # A requested language without a model is ignored: detection decides.
    assert route(text, english, requested="nl").language == "en"


def test_with_nothing_declared_a_far_likelier_language_takes_a_short_text(english: Any) -> None:
    routed = route("Halt die Fresse", english)  # 50 times likelier German than English
    assert (routed.language, routed.how) == ("de", "likely")
    assert route("vai tomar no cu", english).language == "pt"
    for text in ("Fuck", "Zuko gets bitches", "lol ok", "you suck"):
        assert route(text, english).language == "en", text


def test_a_language_without_a_model_is_unread(english: Any) -> None:
    text = "Dit is een heel goed artikel, hartelijk dank voor de uitgebreide uitleg."
    routed = route(text, english)
    assert (routed.language, routed.scorer) == ("nl", None)


def test_a_short_text_in_another_script_is_not_english(english: Any) -> None:
    routed = route("يا غبي", english)
    assert (routed.language, routed.scorer, routed.how) == ("ar", "model-ar", "script")
    routed = route("Ты дурак", english)
    assert routed.language != "en" and routed.scorer is None  # no Russian model here
    with_russian = SimpleNamespace(languages={**english.languages, "ru": "model-ru"})
    assert route("Ты дурак", with_russian).language == "ru"


def test_base_code() -> None:
    assert [base_code(c) for c in ("pt-BR", "DE", "zh_Hant", None, "")] == [
        "pt",
        "de",
        "zh",
        "",
        "",
    ]
