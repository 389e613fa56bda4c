"""Feature functions used inside the spam and toxicity pipelines.

The pipelines are stock scikit-learn steps; the only project code they reference are the
module-level functions below, wrapped in ``FunctionTransformer`` (skops stores them by name,
so they are on the trusted list in :mod:`models.artifacts`).  Pipelines receive *records*:
dicts with ``text`` (original), ``norm`` (``models.text.normalize(text)``) and the optional
``name``, ``email`` and ``url`` form fields, so that normalization runs once per comment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from models.spam_patterns import pattern_tokens

Record = Mapping[str, Any]

# Links as they look after normalization (obfuscations such as "dot com" are undone there).
URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63})*"
    r"\.(?:com|net|org|info|biz|ru|cn|io|co|me|ly|gl|tk|xyz|top|us|uk|de|fr|in|tv|be|gov|edu)"
    r"\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
MENTION_RE = re.compile(r"(?<![\w@])@\w{1,30}")
RT_RE = re.compile(r"\brt\s+@\w+:?", re.IGNORECASE)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE_RE = re.compile(r"(?<!\d)(?:\+?\d[\d\s().-]{7,}\d)(?!\d)")
MONEY_RE = re.compile(
    r"(?:[$£€¥₹]\s?\d[\d,.]*\s?(?:k|m|bn)?|\b\d[\d,.]*\s?(?:usd|dollars?|bucks|euros?|pounds?|"
    r"btc|bitcoin)\b|\b(?:cash|earn|paid|payout|income|salary|profit)\b)",
    re.IGNORECASE,
)
HANDLE_RE = re.compile(
    r"\b(?:telegram|whats\s?app|wa\.me|t\.me|viber|wechat|kik|snap(?:chat)?|skype|signal|"
    r"dm me|inbox me|text me|call me|contact me)\b",
    re.IGNORECASE,
)
PROMO_RE = re.compile(
    r"\b(?:subscribe|check (?:out )?my|my channel|visit|click|free|win(?:ner)?|prize|offer|"
    r"discount|promo|buy|sale|cheap|followers|likes|giveaway|crypto|invest(?:ment)?|loan|"
    r"casino|bet|dating|sexy|hot singles|work from home|guaranteed)\b",
    re.IGNORECASE,
)
CRYPTO_RE = re.compile(
    r"\b(?:bitcoin|btc|ethereum|eth|usdt|crypto\w*|forex|binary options?|nfts?|altcoins?|"
    r"trading signals?|account manager|wallet recovery)\b",
    re.IGNORECASE,
)
# Domains whose links are citations far more often than promotion.  Only a prior: the
# classifier still weighs the rest of the comment.
REFERENCE_DOMAINS = (
    "wikipedia.org",
    "bbc.co.uk",
    "bbc.com",
    "reuters.com",
    "apnews.com",
    "nytimes.com",
    "theguardian.com",
    "washingtonpost.com",
    "npr.org",
    "nature.com",
    "who.int",
    "cdc.gov",
    "nih.gov",
    "arxiv.org",
    "doi.org",
    "europa.eu",
    "un.org",
    "economist.com",
    "ft.com",
    "wsj.com",
    "bloomberg.com",
    "cnn.com",
    "nasa.gov",
    "github.com",
)
SHORTENERS = ("bit.ly", "goo.gl", "tinyurl.com", "t.co", "ow.ly", "is.gd", "adf.ly", "youtu.be")


def norm_texts(records: Sequence[Record]) -> list[str]:
    """The normalized text of each record, as the word and character n-gram steps see it."""
    return [r["norm"] for r in records]


def _domain(url: str) -> str:
    u = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return re.split(r"[/?#:]", u, maxsplit=1)[0].strip(".")


def tox_texts(records: Sequence[Record]) -> list[str]:
    """Normalized text with the artefacts of the training media removed.

    Tweets carry ``RT @name:``, ``@USER`` and ``URL`` placeholders that news comments never do;
    left in, the model would learn which corpus a text came from instead of the label.  Links
    and handles are reduced to one neutral token each.
    """
    out = []
    for r in records:
        s = r["norm"]
        s = RT_RE.sub(" ", s)
        s = URL_RE.sub(" ", s)
        s = MENTION_RE.sub(" ", s)
        s = re.sub(r"\burl\b", " ", s, flags=re.IGNORECASE) if "URL" in r.get("text", "") else s
        s = s.replace("#", " ")
        out.append(s)
    return out


def _bucket(name: str, value: float, edges: Sequence[float]) -> str:
    for i, e in enumerate(edges):
        if value <= e:
            return f"{name}_{i}"
    return f"{name}_{len(edges)}"


def signal_tokens(record: Record) -> str:
    """The spam signals of one comment as space-separated tokens for a hashing step.

    Tokens instead of numeric columns keep the pipeline to stock steps and let the model weigh
    each bucket on its own (a link in a long, reasoned comment is not a link in a short one).
    """
    text = record.get("text") or ""
    norm = record.get("norm") or ""
    toks: list[str] = []
    urls = URL_RE.findall(norm)
    words = re.findall(r"\w+", norm)
    n_words = len(words)
    toks.append(_bucket("len", n_words, (3, 8, 20, 50, 120)))
    toks.append(_bucket("links", len(urls), (0, 1, 2)))
    ref = False
    for u in urls[:5]:
        dom = _domain(u)
        toks.append("dom_" + dom)
        toks.append("tld_" + dom.rsplit(".", 1)[-1])
        if any(dom == d or dom.endswith("." + d) for d in REFERENCE_DOMAINS) or dom.endswith(
            (".gov", ".edu", ".ac.uk", ".gov.uk")
        ):
            ref = True
            toks.append("link_reference")
        if dom in SHORTENERS:
            toks.append("link_shortener")
        if "ref=" in u.lower() or "?r=" in u.lower() or "aff" in u.lower():
            toks.append("link_referral")
    if urls:
        toks.append(_bucket("link_words", n_words, (5, 15, 40)))
        if ref:
            toks.append(_bucket("ref_words", n_words, (5, 15, 40)))
    if EMAIL_RE.search(norm) or EMAIL_RE.search(text):
        toks.append("contact_email")
    if PHONE_RE.search(text):
        toks.append("contact_phone")
    if HANDLE_RE.search(norm):
        toks.append("contact_handle")
    n_money = len(MONEY_RE.findall(text)) + len(MONEY_RE.findall(norm))
    toks.append(_bucket("money", n_money, (0, 1, 3)))
    if CRYPTO_RE.search(norm):
        toks.append("crypto")
    n_promo = len(PROMO_RE.findall(norm))
    toks.append(_bucket("promo", n_promo, (0, 1, 3)))
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 8:
        upper = sum(c.isupper() for c in letters) / len(letters)
        toks.append(_bucket("caps", upper, (0.1, 0.3, 0.6, 0.85)))
    toks.append(_bucket("excl", text.count("!"), (0, 1, 3)))
    if n_words >= 6:
        top = Counter(w.lower() for w in words).most_common(1)[0][1]
        toks.append(_bucket("repeat", top / n_words, (0.15, 0.3, 0.5)))
    if re.search(r"(.)\1{4,}", text):
        toks.append("stretched")
    digits = sum(c.isdigit() for c in text)
    toks.append(_bucket("digits", digits / max(1, len(text)), (0.0, 0.05, 0.15)))
    # Form fields: what Akismet-style filters weigh most, where the site sends them.
    name = (record.get("name") or "").strip()
    email = (record.get("email") or "").strip().lower()
    url = (record.get("url") or "").strip()
    # No token for "a name was given": every YouTube row has one and the clean comments with
    # links (news, talk pages) have none, so the model learned "has a name" as spam and a
    # named reader citing a source scored 0.75.  Only what the name looks like counts.
    if name:
        if URL_RE.search(name) or PROMO_RE.search(name):
            toks.append("name_promo")
        if re.search(r"\d{3,}", name):
            toks.append("name_digits")
        if len(name.split()) >= 4:
            toks.append("name_long")
    if email:
        toks.append("email_given")
        edom = email.rsplit("@", 1)[-1]
        toks.append("edom_" + edom)
        if re.search(r"\d{4,}", email.split("@")[0]):
            toks.append("email_digits")
    if url:
        udom = _domain(url)
        toks.append("url_given")
        toks.append("udom_" + udom)
        if any(_domain(u) == udom for u in urls):
            toks.append("url_in_text")
    return " ".join(toks)


def spam_signal_texts(records: Sequence[Record]) -> list[str]:
    """:func:`signal_tokens` for a batch of records (the signals of spam models up to 1.2.0)."""
    return [signal_tokens(r) for r in records]


def spam_signal_texts_v2(records: Sequence[Record]) -> list[str]:
    """The 2.0 signals: :func:`signal_tokens` plus the blog-comment spam patterns.

    A function of its own, not a change to :func:`spam_signal_texts`: a pipeline stores the
    function by name, so a 1.2.0 artifact keeps scoring exactly as it was trained.
    """
    out = []
    for r in records:
        base = signal_tokens(r)
        n_links = len(URL_RE.findall(r.get("norm") or ""))
        out.append(" ".join([base, *pattern_tokens(r, n_links)]))
    return out


def spam_signal_texts_v3(records: Sequence[Record]) -> list[str]:
    """The 3.1 signals: those of :func:`spam_signal_texts_v2` plus the link-less promotion
    tokens (:func:`models.spam_patterns.promotion_tokens`); a function of its own for the
    same reason as v2."""
    out = []
    for r in records:
        base = signal_tokens(r)
        n_links = len(URL_RE.findall(r.get("norm") or ""))
        out.append(" ".join([base, *pattern_tokens(r, n_links, promotions=True)]))
    return out


class CharNgramHasher(TransformerMixin, BaseEstimator):
    """Hashed character n-gram counts, computed with numpy over a whole batch at once.

    Does what ``HashingVectorizer(analyzer="char", alternate_sign=False, norm=None)`` does for
    lowercased text, but without generating every n-gram as a Python string: that costs about
    300 µs for an 80-character comment, which alone would blow the throughput budget.  Each
    text is padded with one space at each end and runs of whitespace count as one space.
    Stateless: ``fit`` learns nothing.
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), n_features: int = 2**18) -> None:
        self.ngram_range = ngram_range
        self.n_features = n_features

    def fit(self, X: Sequence[str], y: Any = None) -> CharNgramHasher:
        self.n_features_in_ = 1
        return self

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        texts = [" " + " ".join(t.lower().split()) + " " for t in X]
        n_docs = len(texts)
        if n_docs == 0:
            return sp.csr_matrix((0, self.n_features))
        # One code-point array for the batch; a 0 separates documents.
        joined = "\x00".join(texts) + "\x00"
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        seps = codes == 0
        doc = np.cumsum(seps) - seps  # document index of each position
        cum = np.concatenate(([0], np.cumsum(seps)))
        rows_l, cols_l = [], []
        lo, hi = self.ngram_range
        n = len(codes)
        h = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(hi):
                # h[i] = hash of codes[i : i + k + 1], extended one character at a time.
                m = n - k
                if m <= 0:
                    break
                h = h[:m] * np.uint64(0x100000001B3) + codes[k : k + m] + np.uint64(k + 1)
                size = k + 1
                if size < lo:
                    continue
                ok = (cum[size : size + m] - cum[:m]) == 0
                idx = np.nonzero(ok)[0]
                mixed = h[idx] ^ (h[idx] >> np.uint64(29))
                mixed = mixed * np.uint64(0xBF58476D1CE4E5B9)
                mixed ^= mixed >> np.uint64(32)
                rows_l.append(doc[idx].astype(np.int64))
                cols_l.append((mixed % np.uint64(self.n_features)).astype(np.int64))
        if not rows_l:
            return sp.csr_matrix((n_docs, self.n_features))
        nf = np.int64(self.n_features)
        # Sum repeated n-grams by sorting one key per (document, column): scipy's COO route
        # does the same far more slowly.
        key = np.concatenate(rows_l) * nf + np.concatenate(cols_l)
        key.sort()
        if len(key) == 0:
            return sp.csr_matrix((n_docs, self.n_features))
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        counts = np.diff(np.append(starts, len(key))).astype(np.float64)
        ukey = key[starts]
        rows = ukey // nf
        indptr = np.searchsorted(rows, np.arange(n_docs + 1))
        return sp.csr_matrix(
            (counts, (ukey % nf).astype(np.int32), indptr.astype(np.int32)),
            shape=(n_docs, self.n_features),
        )
