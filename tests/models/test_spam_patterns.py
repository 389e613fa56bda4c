"""Blog and news comment spam patterns: the tokens the spam model gets from a comment."""

from __future__ import annotations

from models.features import spam_signal_texts, spam_signal_texts_v2, spam_signal_texts_v3
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


def tokens_v3(text: str, **fields: str) -> list[str]:
    record = {"text": text, "norm": normalize(text), **fields}
    return spam_signal_texts_v3([record])[0].split()


def test_praise_then_a_business_without_a_link() -> None:
    toks = tokens_v3(
        "Wonderful article, so well researched. We at Brightside Movers provide safe "
        "relocation across the GTA, free quote today."
    )
    assert {"biz_intro", "praise_business", "offer", "business_offer"} <= set(toks)
    named = tokens_v3("Excellent write-up. Harbour View Realty has flats by the marina.")
    assert {"biz_name", "praise_business"} <= set(named)


def test_free_streaming_cracked_software_and_drugs_without_prescription() -> None:
    assert "piracy" in tokens_v3("Watch every match free on SportStreamz, no buffering.")
    assert "piracy" in tokens_v3("Office 2024 lifetime license, fully activated, $19.")
    assert "no_prescription" in tokens_v3("Get Ozempic pens without a prescription, fast post.")


def test_readers_who_mention_companies_prices_and_sales_get_no_promotion_token() -> None:
    # "30% off" alone is an offer token a reader's comment gets too; the combinations are not.
    promotion = {"biz_intro", "biz_name", "praise_business", "praise_phone", "piracy"}
    promotion |= {"business_offer", "praise_offer", "offer_phone", "no_prescription"}
    for text in (
        "Our company laid off 200 people last spring and the article misses that.",
        "The sale was 30% off but the price went up the week before, a classic trick.",
        "Great article. My sister works at the clinic and the waiting lists are awful.",
        "Bitcoin fell 8% today, which the column predicted, to its credit.",
    ):
        assert not promotion & set(tokens_v3(text)), text


def test_the_3_0_signals_are_unchanged_by_the_promotion_tokens() -> None:
    text = "Great post! We at Acme Roofing offer a free estimate, call us today."
    record = {"text": text, "norm": normalize(text)}
    v2 = spam_signal_texts_v2([record])[0].split()
    assert not {"biz_intro", "offer", "praise_business"} & set(v2)
    assert set(v2) < set(spam_signal_texts_v3([record])[0].split())
