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
# Spam 3.1: promotions that carry no link (issue 21).  A business introducing itself ("we at X",
# "our clinic", "X is Toronto's most trusted"), an offer ("70% off", "free estimate", "call us
# today", "promo code"), free streaming and cracked software ("watch free", "APK", "IPTV",
# "fully activated"), and prescription drugs without one.  Each is also said by readers ("our
# company laid off 200 people", "the sale was 30% off"): tokens the model weighs, with praise
# first ("great post ... we at X") the strongest, never a rule on its own.
_BUSINESS_RE = re.compile(
    r"\b(?:we at|at [a-z][\w&'-]*(?: [a-z][\w&'-]*){0,3},? we (?:offer|provide|help|craft|"
    r"build|specialise|specialize|deliver)|our (?:clinic|agency|studio|"
    r"academy|institute|salon|restaurant|services|products|experts|technicians|team of experts)|"
    r"we (?:offer|provide|specialise in|specialize in|deliver|guarantee)|we are (?:a|an|the) "
    r"(?:leading|trusted|top|best|certified|licensed|professional)|"
    r"(?:is|are) (?:\w+'s |the )?(?:most trusted|top[- ]rated|leading|best[- ]rated|number one|"
    r"#1)|(?:certified|licensed|experienced|approved) (?:technicians|experts|instructors|"
    r"professionals|agents|consultants)|serving (?:clients|customers) (?:in|across)|"
    r"(?:available|open) 24/7|across (?:the (?:gta|city|country|uk|usa|us)|india|canada)|"
    r"the team at|helps? (?:students|brands|businesses|homeowners|families|clients|patients) "
    r"(?:get|grow|find|with)|(?:looking for|in need of|need) an? (?:reliable|trusted|"
    r"professional|affordable|cheap|top|personal injury|good) \w+ in|should (?:try|contact|"
    r"call) (?:the )?\w+)\b",
    re.IGNORECASE,
)
# A business's name as written, capitalised and ending in a trade ("Golden Key Realty",
# "Ledger & Co", "Riverbend Dog Training"); case-sensitive, on the original text.
_BUSINESS_NAME_RE = re.compile(
    r"\b(?:[A-Z][\w'-]*(?: &)? ){1,3}(?:Inc|Ltd|LLC|Co|Group|Realty|Interiors|Studios?|Plumbing|"
    r"Movers|Training|Education|Logistics|Clinic|Digital|Solutions|Services|Agency|Consult(?:ing|"
    r"ants)|Technologies|Marketing|Roofing|Law|Legal|Dental|Academy|Institute|Travels?|Tours|"
    r"Properties|Builders|Construction|Finance|Capital|Insurance|Labs|Media|Designs?|"
    r"Enterprises|Overseas|Immigration|Packers|Cleaning|Landscaping|Turf|Motors|Repairs?)\b"
)
_OFFER_RE = re.compile(
    r"(?:\b\d{1,2}% (?:off|discount)|\b(?:free (?:consultation|quote|estimate|inspection|"
    r"site survey|survey|trial|demo|shipping|delivery|diagnosis|first lesson)|first lesson "
    r"(?:free|half price)|half price|discounted rates?|flash sale|limited (?:time )?offer|"
    r"only \d+ left|(?:call|text|whatsapp|dm|contact|email|message|ring) (?:us|now|today)|"
    r"book (?:now|today|your (?:free|slot|appointment))|order (?:now|today|the official)|"
    r"promo code|coupon code|discount code|sign up (?:now|today)|"
    r"money[- ]back guarantee|guaranteed (?:results|approval|wins?|growth|ranking)|"
    r"no fix,? no fee|pay after|100% (?:genuine|legit|guaranteed|safe))\b)",
    re.IGNORECASE,
)
_PIRACY_RE = re.compile(
    r"\b(?:watch (?:\w+ ){0,3}(?:free|online free|for free)|(?:live|stream(?:ing)?) free|"
    r"free (?:movies|streaming|download|iptv)|download (?:the )?apk|apk|iptv|full hd|"
    r"no buffering|no (?:account|sign ?up|registration) needed|cracked?|fully activated|"
    r"lifetime (?:licen[cs]e|access|activation|deal)|activation key|non-drop|"
    r"buy (?:\w+ )?(?:reviews|followers|likes|views))\b",
    re.IGNORECASE,
)
# Praise as blog spam opens with it, wider than :data:`_PRAISE_RE` (which 2.0 artifacts keep):
# only ever counted together with a business or an offer, since readers praise articles too.
_PRAISE_WIDE_RE = re.compile(
    r"\b(?:(?:great|nice|good|awesome|amazing|excellent|informative|wonderful|fantastic|useful|"
    r"helpful|interesting|brilliant|superb|insightful|thoughtful|thought-provoking|outstanding|"
    r"terrific|lovely|detailed|valuable|well[- ]written|well[- ]researched) (?:post|article|"
    r"blog|read|content|information|info|write-?up|site|work|piece|share|breakdown|analysis|"
    r"insights?|points?|tips|guide)|(?:really|very|so|such an?|truly) (?:insightful|interesting|"
    r"informative|useful|helpful|thought-provoking|well written|valuable|inspiring)|"
    r"(?:beautifully|nicely|well) (?:written|researched|explained|put)|(?:loved|enjoyed) "
    r"(?:reading|this)|thanks?,? (?:author|admin|for (?:sharing|this|the (?:post|article|info|"
    r"insights?)))|thank you for (?:sharing|this|writing)|i agree with (?:every|each) "
    r"(?:word|point))\b",
    re.IGNORECASE,
)
_NO_PRESCRIPTION_RE = re.compile(
    r"\b(?:without (?:a )?prescription|no prescription|(?:melts?|burns?) (?:belly )?fat|"
    r"lose \d+ ?(?:lbs|pounds|kg)|blood sugar (?:naturally|in \d+ days))\b",
    re.IGNORECASE,
)


def promotion_tokens(text: str, norm: str, praise: bool, phone: bool) -> list[str]:
    """Spam 3.1's link-less promotion tokens of one normalized text (see the regexes above).

    ``praise`` and ``phone`` are what :func:`pattern_tokens` found; praise is widened here.
    """
    toks = []
    praise = praise or bool(_PRAISE_WIDE_RE.search(norm))
    business = bool(_BUSINESS_RE.search(norm))
    if _BUSINESS_NAME_RE.search(text):
        toks.append("biz_name")
        business = business or praise or phone
    if praise and phone:
        toks.append("praise_phone")
    offer = bool(_OFFER_RE.search(norm))
    if business:
        toks.append("biz_intro")
        if praise:
            toks.append("praise_business")
    if offer:
        toks.append("offer")
        if business:
            toks.append("business_offer")
        if praise:
            toks.append("praise_offer")
        if phone:
            toks.append("offer_phone")
    if _PIRACY_RE.search(norm):
        toks.append("piracy")
    if _NO_PRESCRIPTION_RE.search(norm):
        toks.append("no_prescription")
    return toks


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


def pattern_tokens(record: Mapping[str, Any], n_links: int, promotions: bool = False) -> list[str]:
    """The blog-spam tokens of one record (``text``, ``norm`` and the form fields).

    ``n_links`` is the number of links :func:`models.features.signal_tokens` found in the text;
    ``promotions`` adds :func:`promotion_tokens` (spam 3.1's signals; 2.0 and 3.0 artifacts
    score without them, as they were trained).
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
    if promotions:
        toks.extend(promotion_tokens(text, norm, praise, phone))
    return toks
