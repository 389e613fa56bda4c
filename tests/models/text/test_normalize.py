"""models.text.normalize on hand-written examples of each evasion class and of text that must
survive untouched."""

# Look-alike characters are what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from models.text import normalize, normalize_with_offsets

# ---------------------------------------------------------------------------------------------
# Each evasion class
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evasive", "expected"),
    [
        # case and compatibility forms
        ("IDIOT", "idiot"),
        ("ｉｄｉｏｔ", "idiot"),  # full-width
        ("ＩＤＩＯＴ", "idiot"),
        ("𝐢𝐝𝐢𝐨𝐭", "idiot"),  # mathematical bold
        ("𝗶𝗱𝗶𝗼𝘁", "idiot"),  # mathematical sans-serif bold
        ("ⓘⓓⓘⓞⓣ", "idiot"),  # circled
        ("🅸🅳🅸🅾🆃", "idiot"),  # negative squared
        ("ﬁlthy", "filthy"),  # ligature
        # invisible characters
        ("id\u200biot", "idiot"),
        ("i\u200cd\u200di\u2060o\ufefft", "idiot"),
        ("id\u00adiot", "idiot"),  # soft hyphen
        ("idi\u034fot", "idiot"),  # combining grapheme joiner
        ("idiot\ufe0f", "idiot"),  # variation selector
        ("i\U000e0041diot", "idiot"),  # tag character
        # look-alikes
        ("іdіоt", "idiot"),  # Cyrillic
        ("ιdιοτ", "idiot"),  # Greek
        ("ΙDΙΟΤ", "idiot"),  # Greek capitals
        ("ѕhіt", "shit"),
        ("ϲunt", "cunt"),  # lunate sigma, which NFKC alone would turn into a Greek letter
        ("ɪᴅɪᴏᴛ", "idiot"),  # small capitals
        ("Ꭵdiot", "idiot"),  # Cherokee
        # diacritics and Zalgo
        ("fück", "fuck"),
        ("fu\u0308ck", "fuck"),  # decomposed
        ("f̸u̷c̶k̴", "fuck"),
        ("i̶̡͓d̷̝i̴o̵t̸", "idiot"),
        # leetspeak inside words
        ("h4te", "hate"),
        ("1d10t", "idiot"),
        ("n00b", "noob"),
        ("sh1t", "shit"),
        ("5h1t", "shit"),
        ("sh!t", "shit"),
        ("b!tch", "bitch"),
        ("b@stard", "bastard"),
        ("a$$hole", "asshole"),
        ("a$5hole", "asshole"),
        ("$hit", "shit"),
        ("st00pid", "stoopid"),
        ("l0s3r", "loser"),
        ("MUL7!PLE", "multiple"),
        # spaced, dotted, dashed letters
        ("f u c k", "fuck"),
        ("i.d.i.o.t", "idiot"),
        ("i . d . i . o . t", "idiot"),
        ("s-h-i-t", "shit"),
        ("s_h_i_t", "shit"),
        ("f*u*c*k", "fuck"),
        ("s h ! t", "shit"),
        ("1 d 1 0 t", "idiot"),
        # stretched letters: at most two are kept
        ("stuuuuupid", "stuupid"),
        ("fuuuuuck", "fuuck"),
        ("nooooooo", "noo"),
        # obfuscated links
        ("example dot com", "example.com"),
        ("example DOT com", "example.com"),
        ("example d0t com", "example.com"),
        ("example[.]com", "example.com"),
        ("example(.)com", "example.com"),
        ("example (dot) com", "example.com"),
        ("example{dot}net", "example.net"),
        ("example . com", "example.com"),
        ("example .com", "example.com"),
        ("e x a m p l e . c o m", "example.com"),
        ("www dot example dot co dot uk", "www.example.co.uk"),
        ("www[.]example[.]com/path", "www.example.com/path"),
        ("hxxp://evil[.]com/x", "http://evil.com/x"),
        ("hxxps[:]//evil[.]com", "https://evil.com"),
        ("name[at]example[.]com", "name@example.com"),
        ("john (at) example dot com", "john@example.com"),
    ],
)
def test_evasion_is_undone(evasive: str, expected: str) -> None:
    assert normalize(evasive) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You are so f u c k i n g dumb", "you are so fucking dumb"),
        ("what an 1d10t, go to spam dot com", "what an idiot, go to spam.com"),
        ("ｙｏｕ　ａｒｅ　ｓｔｕｐｉｄ", "you are stupid"),  # ideographic spaces
        ("Thiiiis is sooooo b0ring!!!", "thiis is soo boring!!!"),
        ("it's a m-u-s-i-c video", "it's a music video"),
        ("I'm a r*a*p*p*e*r", "i'm a rapper"),
        ("awesome!!!s-h-e rocks", "awesome!!!she rocks"),
        ("holy m_o_l_y.!!!", "holy moly.!!!"),
    ],
)
def test_evasion_in_sentences(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ---------------------------------------------------------------------------------------------
# No damage to ordinary text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "i paid $20 for 3 items",
        "i paid 20$ and us$20 and $5k and $1,000,000.50",
        "prices from €9.99, £5 or ¥500",
        "call +44 20 7946 0958 or (555) 123-4567 or 555-1234",
        "the 1st, 2nd, 3rd and 4th of july 2026",
        "in the 1990s and the '80s",
        "at 10:30pm or 5am, 3.5 stars, 50% off, version 1.2.3",
        "100mg, 5g, 4k, 1080p, 24h, 10kg",
        "mp3 mp4 covid19 win10 ps5 h264 x86 b2b 2fa",
        "a 4x4 and a 1920x1080 screen",
        "hello! how are you? great!!! wow!!!",
        "$$$ make money $$$",
        "i am a cat",
        "good food, all cool, too bad, see you soon, bookkeeper",
        "e.g. i.e. a.m. p.m.",
        "the dot com bubble",
        "i fell. net result: nothing",
        "so. me too",
        "https://www.example.com/a-b-c?x=1&y=2#frag",
        "http://example.com/h4te/sooo-ooo/1d10t",
        "www.example.com/a_b_c",
        "example.co.uk/path",
        "jane.doe+tag@example.co.uk",
        "j.o.h.n@example.com",
        "@jane_doe and @john42",
        "#hashtag and #2026",
        "привет, как дела",
        "日本語のテキスト",
        "مرحبا بالعالم",
        "😀 👍🏽 ❤️",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    """Already-canonical text that must come out unchanged (numbers, links, addresses...)."""
    expected = text.replace("❤️", "❤")  # the variation selector is invisible and removed
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am a  cat", "i am a cat"),
        ("Hello   World", "hello world"),
        ("  padded\t\ttext \n\n here  ", "padded text here"),
        ("line one\r\nline two", "line one line two"),
        ("non\u00a0breaking\u2003space", "non breaking space"),
        ("Plan A or B", "plan a or b"),
        ("Café déjà vu", "cafe deja vu"),
        ("İstanbul", "istanbul"),
        ("Straße", "strasse"),
        ("Ⅻ ① ㎏", "xii 1 kg"),
    ],
)
def test_whitespace_case_and_compatibility(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_money_and_phone_numbers_survive_around_evasion() -> None:
    text = "W1N $500 N0W!!! call +1 555 123 4567 or visit fr33-c4sh dot com"
    assert normalize(text) == "win $500 now!!! call +1 555 123 4567 or visit fr33-c4sh.com"


def test_single_letter_words_are_not_glued() -> None:
    assert normalize("I am a cat") == "i am a cat"
    assert normalize("a cat and a dog") == "a cat and a dog"
    assert normalize("is it a b or c") == "is it a b or c"  # two single letters only
    assert normalize("1 2 3 go") == "1 2 3 go"  # numbers are not a word


def test_control_characters_are_dropped() -> None:
    assert normalize("id\x00iot\x07") == "idiot"
    assert normalize("ab\x0bcd\x1cef") == "ab cd ef"  # vertical tab, separators: whitespace


def test_empty_and_blank() -> None:
    assert normalize("") == ""
    assert normalize("   \n\t ") == ""
    assert normalize("\u200b\ufeff") == ""
    assert normalize_with_offsets("") == ("", [])
