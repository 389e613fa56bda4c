"""Patterns of blog and news comment spam, as signal tokens for the spam model.

What blog and news sites get, beside YouTube's "check out my channel" and SMS prize spam:

* "great post, thanks" with a link, or with an author name stuffed with keywords ("Best Essay
  Writing Service UK") and a ``url`` field pointing at the business;
* tech-support scams: a brand plus "customer service / support / helpline" plus a phone
  number, often toll-free ("Norton customer service number 1-888-...");
* promotions: travel, real estate, essay writing, pharmacy, SEO/backlinks, loans, crypto,
  "work from home";
* e-mail addresses at free or throw-away mail domains, keyword-stuffed local parts.

:func:`pattern_tokens` turns these into tokens (``models.features.signal_tokens`` appends them)
so that the linear model weighs each on its own and in the combinations that matter
(praise + link, brand + support + phone).  Only the tokens a record triggers are emitted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

BRANDS = (
    "norton|mcafee|avast|avg|kaspersky|bitdefender|webroot|malwarebytes|quickbooks|quicken|"
    "turbotax|sage|microsoft|windows|outlook|hotmail|office ?365|gmail|yahoo|aol|apple|icloud|"
    "itunes|hp|epson|canon|brother|dell|lenovo|asus|acer|roku|netflix|garmin|alexa|comcast|"
    "xfinity|verizon|spectrum|paypal|cash ?app|venmo|coinbase|binance|metamask|trust ?wallet|"
    "blockchain|facebook|instagram|amazon|delta|united airlines|american airlines|southwest|"
    "expedia|booking\\.com|qatar airways|emirates|lufthansa|frontier|spirit airlines"
)
_BRAND_RE = re.compile(rf"\b(?:{BRANDS})\b", re.IGNORECASE)
_SUPPORT_RE = re.compile(
    r"\b(?:customer (?:service|support|care)|tech(?:nical)? support|support (?:number|phone|"
    r"line|team)|help ?line|help ?desk|toll[- ]free|phone number|contact number|service number|"
    r"reservations? (?:number|desk)|(?:24/7|24x7|24 hours) (?:support|help|service))\b",
    re.IGNORECASE,
)
_TOLL_FREE_RE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?8(?:00|33|44|55|66|77|88)\)?[\s.-]?\d{3}")
_PHONE_RE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{8,}\d(?![\w.])")

TOPICS = {
    "travel": r"cheap flights?|flight (?:deals?|tickets?|booking)|hotel deals?|tour packages?|"
    r"holiday packages?|travel agen(?:cy|t)|visa (?:services?|agent)|car rental|airport transfer",
    "property": r"real estate|realtor|apartments? for (?:sale|rent)|condos? for sale|"
    r"villas? for sale|propert(?:y|ies) (?:for sale|in)|homes? for sale|luxury apartments?|"
    r"property investment|plots? for sale",
    "essay": r"essay writ(?:ing|er)|write my (?:essay|paper|assignment)|assignment help|"
    r"homework help|dissertation (?:help|writing)|term papers?|thesis writing|academic writing|"
    r"research papers? for sale|do my homework",
    "pharmacy": r"viagra|cialis|levitra|pharmacy|no prescription|pills? online|weight loss pills?|"
    r"cbd oil|keto (?:pills|diet)|male enhancement",
    "seo": r"backlinks?|seo (?:services?|company|expert|agency)|web design (?:company|services?)|"
    r"digital marketing (?:agency|services?)|guest posts?|link building|website traffic",
    "money": r"work(?:ing)? from home|home[- ]based (?:job|business)|online jobs?|part[- ]time "
    r"jobs?|earn(?:ed|ing)? (?:\$|money|extra|cash)|make money|per (?:hour|day|week) from home|"
    r"(?:my|her|his) (?:sister|friend|aunt|neighbou?r|mom|cousin)\W+(?:\w+\W+){0,4}makes? \$|"
    r"payday loans?|quick loans?|loan (?:offer|lender)|debt relief|passive income",
    "crypto": r"bitcoin|btc|ethereum|usdt|crypto(?:currency)?|forex|binary options?|nfts?|"
    r"trading (?:signals?|platform)|account manager|wallet recovery|recover (?:my|your) (?:funds|"
    r"wallet)|investment (?:platform|plan)",
    "escort": r"escorts?|call girls?|hot singles|adult dating|hookups?",
}
_TOPIC_RES = {k: re.compile(rf"\b(?:{v})", re.IGNORECASE) for k, v in TOPICS.items()}
_PRAISE_RE = re.compile(
    r"\b(?:(?:great|nice|good|awesome|amazing|excellent|informative|wonderful|fantastic|useful|"
    r"helpful|interesting) (?:post|article|blog|read|content|information|info|write-?up|site|"
    r"work|piece|share)|thanks? (?:you )?for (?:sharing|posting|the (?:post|article|info))|"
    r"very (?:informative|helpful|useful|nice)|keep (?:it up|up the good work|posting|sharing)|"
    r"(?:i )?(?:like|love|enjoyed) (?:your|this) (?:blog|post|site|article|website)|"
    r"bookmark(?:ed)?|i (?:really )?enjoyed reading|i will (?:definitely )?(?:come back|visit "
    r"again|share)|this (?:is|was) (?:really |very )?(?:helpful|informative|useful))\b",
    re.IGNORECASE,
)
# "my blog", "my book (club)" and "my site" are left out: readers mention their own blog or book
# club innocently (both were false alarms); "visit my" / "check out my" blog still count.
_SELF_PROMO_RE = re.compile(
    r"\b(?:(?:check|look) (?:out )?(?:my|our)|my (?:channel|videos?|page|music|songs?|covers?|"
    r"shop|store|app)|sub(?:scribe)? (?:to|for) (?:me|my)|"
    r"add me|follow me|like my|visit my|watch my)\b",
    re.IGNORECASE,
)
_ADDRESS_CREATOR_RE = re.compile(r"\byour (?:channel|videos?|songs?|music|voice|movie)\b", re.I)
_COMMERCE_WORDS = re.compile(
    r"\b(?:best|cheap|top|buy|online|services?|company|agency|experts?|shop|store|deals?|sale|"
    r"loans?|insurance|lawyer|attorney|plumb(?:er|ing)|repair|cleaning|movers?|dentist|clinic|"
    r"rehab|casino|betting|escort|seo|marketing|design|writing|essays?|tours?|travel|hotels?|"
    r"flights?|real estate|properties|apartments?|support|number|helpline|pharmacy|pills?|"
    r"crypto|bitcoin|forex|recovery|hack(?:er)?|jobs?|income|money|uk|usa|dubai|near me)\b",
    re.IGNORECASE,
)
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "qq.com",
        "163.com",
        "126.com",
        "gmx.com",
        "gmx.de",
        "protonmail.com",
        "proton.me",
        "zoho.com",
        "rediffmail.com",
    ]
)
DISPOSABLE_MAIL = frozenset(
    [
        "mailinator.com",
        "guerrillamail.com",
        "10minutemail.com",
        "temp-mail.org",
        "tempmail.com",
        "yopmail.com",
        "sharklasers.com",
        "trashmail.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "throwawaymail.com",
        "fakeinbox.com",
        "mintemail.com",
        "mohmal.com",
        "emailondeck.com",
    ]
)


def _name_tokens(name: str) -> list[str]:
    toks = []
    words = re.findall(r"[^\W_]+", name)
    n_commerce = len(_COMMERCE_WORDS.findall(name))
    if n_commerce:
        toks.append("name_commercial" if n_commerce == 1 else "name_commercial_many")
    if len(words) >= 3 and n_commerce and not any(c in name for c in ".,"):
        toks.append("name_keyword_stuffed")
    if any(r.search(name) for r in _TOPIC_RES.values()) or _BRAND_RE.search(name):
        toks.append("name_topic")
    return toks


def _email_tokens(email: str) -> list[str]:
    local, _, domain = email.partition("@")
    toks = []
    if domain in FREE_MAIL:
        toks.append("edom_free")
    if domain in DISPOSABLE_MAIL:
        toks.append("edom_disposable")
    if _COMMERCE_WORDS.search(re.sub(r"[._+-]+", " ", local)):
        toks.append("email_commercial")
    return toks


def _url_tokens(url: str, name: str) -> list[str]:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    toks = []
    spaced = re.sub(r"[.-]+", " ", host)
    if _COMMERCE_WORDS.search(spaced) or any(r.search(spaced) for r in _TOPIC_RES.values()):
        toks.append("url_commercial")
    # A keyword-stuffed name repeated in the host is SEO spam; a person's own name in the host
    # of their blog ("Coast Walker", coastwalker.wordpress.com) is not.
    name_words = {w.lower() for w in re.findall(r"[^\W_]{3,}", name)}
    if _COMMERCE_WORDS.search(name) and any(w in host for w in name_words):
        toks.append("url_matches_name")
    return toks


def pattern_tokens(record: Mapping[str, Any], n_links: int) -> list[str]:
    """The blog-spam tokens of one record (``text``, ``norm`` and the form fields).

    ``n_links`` is the number of links :func:`models.features.signal_tokens` found in the text.
    """
    text = record.get("text") or ""
    norm = record.get("norm") or ""
    name = (record.get("name") or "").strip()
    email = (record.get("email") or "").strip().lower()
    url = (record.get("url") or "").strip()
    toks: list[str] = []
    brand = bool(_BRAND_RE.search(norm))
    support = bool(_SUPPORT_RE.search(norm))
    phone = bool(_PHONE_RE.search(text))
    if brand and support:
        toks.append("brand_support")
    if support and phone:
        toks.append("support_phone")
        if brand:
            toks.append("brand_support_phone")
    if _TOLL_FREE_RE.search(text) and phone:
        toks.append("phone_toll_free")
    topics = [k for k, rx in _TOPIC_RES.items() if rx.search(norm)]
    toks.extend(f"topic_{k}" for k in topics)
    if topics and (n_links or url or phone):
        toks.append("topic_with_contact")
    praise = bool(_PRAISE_RE.search(norm))
    if praise:
        toks.append("praise")
        if n_links:
            toks.append("praise_link")
        if url:
            toks.append("praise_url_field")
    if _SELF_PROMO_RE.search(norm):
        toks.append("self_promo")
    elif _ADDRESS_CREATOR_RE.search(norm):
        toks.append("addresses_creator")
    name_toks = _name_tokens(name) if name else []
    toks.extend(name_toks)
    if praise and name_toks:
        toks.append("praise_commercial_name")
    if email:
        toks.extend(_email_tokens(email))
    if url:
        url_toks = _url_tokens(url, name)
        toks.extend(url_toks)
        if praise and url_toks:
            toks.append("praise_commercial_url")
    return toks
