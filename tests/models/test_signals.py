"""The pure deployment-wide spam signals: fingerprints, link domains and reason strings."""

# Re-spellings are made of look-alike characters.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import subprocess
import sys

import pytest

from models.signals import (
    MIN_CHARS,
    NEAR_DISTANCE,
    SignalKind,
    bands,
    counted_domains,
    duplicate_signal,
    fingerprint,
    folded,
    hamming,
    is_near_duplicate,
    link_domains,
    registrable_domain,
    spam_domain_signal,
    velocity_signal,
    window_phrase,
)

SPAM = "Call the Norton customer service number 1-888-555-0199 for help with your account"
RESPELLINGS = [
    # look-alike letters, leetspeak, spacing, full width, zero-width, stretched letters
    "Call the Nоrtоn custоmer service number 1-888-555-0199 for help with your account",
    "C@ll the N0rt0n cust0mer serv1ce number 1-888-555-0199 for help with your acc0unt",
    "Call the N o r t o n customer service number 1-888-555-0199 for help with your account",
    "Call the Ｎｏｒｔｏｎ customer service number 1-888-555-0199 for help with your account",
    "Call the Nor\u200bton cus\u200btomer service number 1-888-555-0199 for help with your account",
    "CALL THE NORTON CUSTOMER SERVICE NUMBER 1-888-555-0199 FOR HELP WITH YOUR ACCOUNT!!!",
    "Call the Norrrton customer serviiice number 1-888-555-0199 for help with your account",
    # the campaign's next post: another phone number, one word more
    "Call the Norton customer service number 1-877-555-0142 now for help with your account",
]
DISTINCT = [
    "The council should publish the full budget before the vote, not after it.",
    "I grew up two streets from that bridge and the repairs have taken three years.",
    "Call your local council if the bins were not collected this week, they are helpful.",
    "Norton is a lovely town; the market on Saturdays is worth the drive.",
    "Great article, thanks. The census figures are at https://www.census.gov/data.html",
    "Check out my channel for more covers like this one, new video every Friday!",
]


@pytest.mark.parametrize("variant", RESPELLINGS)
def test_respelled_copies_are_near_duplicates(variant: str) -> None:
    a, b = fingerprint(SPAM), fingerprint(variant)
    assert is_near_duplicate(a, b), hamming(a, b)  # type: ignore[arg-type]


def test_distinct_comments_are_not_near_duplicates() -> None:
    fps = [fingerprint(t) for t in [SPAM, *DISTINCT]]
    for i, a in enumerate(fps):
        for b in fps[i + 1 :]:
            assert not is_near_duplicate(a, b), hamming(a, b)  # type: ignore[arg-type]
            # Far from the threshold, not just past it.
            assert hamming(a, b) > NEAR_DISTANCE + 4  # type: ignore[arg-type]


def test_fingerprint_is_a_signed_int64_and_the_same_in_another_process() -> None:
    fp = fingerprint(SPAM)
    assert isinstance(fp, int)
    assert -(2**63) <= fp < 2**63
    code = f"from models.signals import fingerprint; print(fingerprint({SPAM!r}))"
    # A different hash seed: Python's own hash() would change, the fingerprint must not.
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert int(out.stdout) == fp


def test_short_texts_have_no_fingerprint() -> None:
    assert fingerprint("Great post, thanks!") is None
    assert fingerprint("lol ok") is None
    assert fingerprint("") is None
    assert len(folded("x" * 10 + "abcdefghijklmnopqrstuvwxyz")) >= MIN_CHARS
    assert not is_near_duplicate(None, fingerprint(SPAM))


def test_folded_undoes_respelling_and_numbers() -> None:
    assert folded("Ch3ck 0ut my ch@nnel!!") == folded("check out my channel")
    assert folded("call 555-0199") == folded("call 555-0142")
    assert folded("visit https://cheap-pills.example/buy?id=7") == folded(
        "visit cheap-pills.example"
    )


def test_hamming_ignores_sign() -> None:
    assert hamming(-1, 0) == 64
    assert hamming(-1, 2**64 - 1) == 0
    assert hamming(0b1011, 0b0001) == 2


def test_bands_share_a_key_when_close_and_reject_bad_counts() -> None:
    a = fingerprint(SPAM)
    assert a is not None
    close = a ^ 0b1 ^ (1 << 20) ^ (1 << 40)  # three bits apart: some 16-bit band is intact
    assert set(bands(a)) & set(bands(close))
    assert all(0 <= k < 2**32 for k in bands(a))
    assert len(set(bands(a))) == 4  # position-tagged: equal slices in two bands stay apart
    assert set(bands(0)) & set(bands(0)) and len(bands(-1, n=8)) == 8
    with pytest.raises(ValueError):
        bands(a, n=3)


@pytest.mark.parametrize(
    ("text", "url", "expected"),
    [
        ("see https://www.news.bbc.co.uk/x and http://BIT.LY/abc", None, ["bbc.co.uk", "bit.ly"]),
        ("cheap essays at essaywriter dot com today", None, ["essaywriter.com"]),
        ("visit https://bücher.de/angebot", None, ["xn--bcher-kva.de"]),
        ("my blog https://someone.blogspot.com/post", None, ["someone.blogspot.com"]),
        ("no links at all, e.g. this.", None, []),
        (
            "twice: www.example.com and https://example.com/a",
            "https://shop.example.com",
            ["example.com"],
        ),
        ("nothing here", "http://My-Travel-Deals.net/page", ["my-travel-deals.net"]),
    ],
)
def test_link_domains(text: str, url: str | None, expected: list[str]) -> None:
    assert link_domains(text, url) == expected


def test_lookalike_domain_keeps_its_own_punycode() -> None:
    # Cyrillic "а" in paypal: the domain linked is not paypal.com, and must not be confused with it.
    (domain,) = link_domains("log in at https://pаypal.com/verify")
    assert domain.startswith("xn--") and domain != "paypal.com"


def test_registrable_domain_edge_cases() -> None:
    assert registrable_domain("co.uk") is None
    assert registrable_domain("192.168.0.1") == "192.168.0.1"
    assert registrable_domain("not a host") is None
    assert registrable_domain("WWW.Example.COM.") == "example.com"


def test_reasons_read_as_a_moderator_would_say_them() -> None:
    dup = duplicate_signal(14, 3, 3600)
    assert dup is not None and dup.kind is SignalKind.NEAR_DUPLICATE and dup.count == 14
    assert dup.reason == (
        "same text as 14 comments in the last hour on 3 other sites "
        "(copies from one site alone never count)"
    )
    assert duplicate_signal(2, 2, 3600) is None
    # However many copies, one other site is one poster's word.
    assert duplicate_signal(40, 1, 3600) is None
    assert duplicate_signal(1, 1, 600, min_matches=1, min_sites=1).reason == (  # type: ignore[union-attr]
        "same text as 1 comment in the last 10 minutes on 1 other site "
        "(copies from one site alone never count)"
    )
    ip = velocity_signal(SignalKind.VELOCITY_IP, 25, 600)
    assert (
        ip is not None
        and ip.reason == "25 comments from this network address in the last 10 minutes"
    )
    assert velocity_signal(SignalKind.VELOCITY_IP, 10, 600) is None
    author = velocity_signal(SignalKind.VELOCITY_AUTHOR, 3, 86400, limit=2)
    assert author is not None and author.reason == "3 comments from this author in the last day"
    with pytest.raises(ValueError):
        velocity_signal(SignalKind.SPAM_DOMAIN, 3, 60)
    dom = spam_domain_signal("cheap-essays.com", 4, 90 * 86400)
    assert dom is not None and dom.kind == "spam_domain" and dom.count == 4
    assert dom.reason == (
        "links to cheap-essays.com, rejected as spam by a moderator 4 times in the last 90 days"
    )
    once = spam_domain_signal("cheap-essays.com", 1, 90 * 86400, min_rejected=1)
    assert once is not None and "by a moderator once in" in once.reason
    assert spam_domain_signal("example.com", 1, 90 * 86400) is None


def test_counted_domains_leave_out_citations_platforms_and_the_sites_own() -> None:
    text = (
        "see https://en.wikipedia.org/wiki/X, https://www.youtube.com/watch?v=1, "
        "https://data.census.gov/t, http://www.ox.ac.uk/, https://blog.example/about "
        "and www.cheap-essays.biz"
    )
    assert counted_domains(text, "https://my-deals.net", ["https://blog.example"]) == [
        "cheap-essays.biz",
        "my-deals.net",
    ]
    # Without the site's origins, its own domain is just a domain.
    assert "blog.example" in counted_domains(text, None)
    assert counted_domains("no links", None, ["https://blog.example"]) == []


def test_window_phrase() -> None:
    assert window_phrase(3600) == "the last hour"
    assert window_phrase(7200) == "the last 2 hours"
    assert window_phrase(90) == "the last 90 seconds"
    with pytest.raises(ValueError):
        window_phrase(0)
