"""Blog and news comment spam patterns: the tokens the spam model gets from a comment."""

from __future__ import annotations

from models.features import spam_signal_texts, spam_signal_texts_v2
from models.spam_patterns import pattern_tokens
from models.text import normalize


def tokens(text: str, **fields: str) -> list[str]:
    record = {"text": text, "norm": normalize(text), **fields}
    return spam_signal_texts_v2([record])[0].split()


def test_tech_support_scam_is_brand_support_phone() -> None:
    toks = tokens("QuickBooks payroll support number 1-888-555-0199, call now")
    assert {"brand_support", "support_phone", "brand_support_phone", "phone_toll_free"} <= set(toks)


def test_a_brand_or_a_phone_alone_is_not_a_support_scam() -> None:
    assert "brand_support" not in tokens("My Norton renewal charged me twice this year.")
    phone = tokens("The council's helpline is 0113 222 4400 if your bins were missed.")
    assert "brand_support_phone" not in phone and "phone_toll_free" not in phone


def test_praise_with_a_link_or_a_stuffed_name() -> None:
    linked = tokens("Great post, thanks for sharing! Visit https://cheap-essays.example.com")
    assert {"praise", "praise_link"} <= set(linked)
    named = tokens(
        "Very informative.", name="Best Essay Writing Service UK", url="https://x.example"
    )
    assert {"praise", "name_keyword_stuffed", "praise_commercial_name"} <= set(named)
    assert "name_commercial" not in tokens("Very informative.", name="Margaret Hill")


def test_topics_and_contact() -> None:
    toks = tokens("Apartments for sale in Dubai Marina, WhatsApp +971 50 1234567")
    assert {"topic_property", "topic_with_contact"} <= set(toks)
    wfh = tokens("My aunt makes $80 per hour working from home. See www.job.example.com")
    assert "topic_money" in wfh
    assert "topic_with_contact" not in tokens("Working from home has emptied our town centre.")


def test_form_fields() -> None:
    toks = pattern_tokens(
        {
            "text": "Nice",
            "norm": "nice",
            "name": "Cheap Flights London",
            "email": "deals.cheap@mailinator.com",
            "url": "https://cheap-flights-london.example",
        },
        n_links=0,
    )
    assert {"edom_disposable", "email_commercial", "url_commercial", "url_matches_name"} <= set(
        toks
    )
    free = pattern_tokens({"text": "x", "norm": "x", "email": "ada@gmail.com"}, n_links=0)
    assert free == ["edom_free"]


def test_self_promotion_against_addressing_the_creator() -> None:
    assert "self_promo" in tokens("subscribe to my channel please")
    fan = tokens("I love your channel, been watching for years")
    assert "addresses_creator" in fan and "self_promo" not in fan


def test_the_1_2_signals_are_unchanged() -> None:
    # A 1.2.0 artifact names spam_signal_texts: it must not see the 2.0 tokens.
    record = {"text": "Great post! https://x.example", "norm": "great post! https://x.example"}
    assert "praise" not in spam_signal_texts([record])[0].split()
    assert "praise" in spam_signal_texts_v2([record])[0].split()
