"""Words hidden by characters a reader does not see, through the real worker: bidirectional
controls that show "toidi" as "idiot", tag characters and variation selectors inside a word.

Each comment goes in over HTTP, is scored by a real RQ worker with the shipped models, and the
site's word lists catch the word as it is shown; the explanation points at the characters the
reader sees as that word.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import helpers

RLO, LRO, PDF, RLI, LRI, FSI, PDI = (
    "\u202e", "\u202d", "\u202c", "\u2067", "\u2066", "\u2068", "\u2069",
)  # fmt: skip
TAG_I = "\U000e0069"  # TAG LATIN SMALL LETTER I: invisible


def tag(word: str) -> str:
    """``word`` in the tags block: invisible characters, one per letter."""
    return "".join(chr(0xE0000 + ord(ch)) for ch in word)


EVASIONS = [
    # (text as stored, the stored characters a reader sees as "idiot")
    (f"you {RLO}toidi{PDF}", "toidi"),
    (f"you {RLO}toidi", "toidi"),
    (f"you {RLI}{RLO}toidi{PDI}", "toidi"),
    (f"you {LRI}{RLO}toidi{PDF}{PDI}", "toidi"),
    (f"you {FSI}{RLO}toidi{PDI}", "toidi"),
    (f"you {LRO}{RLO}toidi{PDF}{PDF}, really", "toidi"),
    (f"you {RLO}to{PDF}{RLO}idi{PDF}", f"to{PDF}{RLO}idi"),
    (f"you id{TAG_I}iot", f"id{TAG_I}iot"),
    (f"you id{tag('hidden')}iot", f"id{tag('hidden')}iot"),
    ("you i\ufe0fd\ufe0ei\U000e0100o\ufe0ft", "i\ufe0fd\ufe0ei\U000e0100o\ufe0ft"),
]


def set_words(client: Any, keys: Any, kind: str) -> None:
    response = client.put(
        "/v1/sites/blog/policy", json={kind: ["idiot"]}, headers=keys.headers("admin")
    )
    assert response.status_code == 200, response.get_json()


def verdict(client: Any, keys: Any, work: Any, text: str) -> dict[str, Any]:
    comment_id = helpers.submit(client, keys, text)
    work()
    return client.get(f"/v1/comments/{comment_id}", headers=keys.headers("blog")).get_json()


@pytest.mark.parametrize(("text", "seen_as_idiot"), EVASIONS)
def test_a_banned_word_shown_to_readers_is_rejected(
    client: Any, keys: Any, work: Any, text: str, seen_as_idiot: str
) -> None:
    set_words(client, keys, "banned_words")
    shown = verdict(client, keys, work, text)
    assert shown["status"] == "rejected" and shown["reasons"][0] == "banned_word"
    (span,) = shown["explanations"]["banned_word"]
    # The span covers the stored characters the reader sees as the word, and nothing else.
    assert span["text"] == seen_as_idiot
    assert text[span["start"] : span["end"]] == seen_as_idiot


@pytest.mark.parametrize(("text", "seen_as_idiot"), EVASIONS[:3])
def test_a_suspect_word_shown_to_readers_is_held(
    client: Any, keys: Any, work: Any, text: str, seen_as_idiot: str
) -> None:
    set_words(client, keys, "suspect_words")
    shown = verdict(client, keys, work, text)
    assert shown["status"] == "held" and "suspect_word" in shown["reasons"]


def test_isolates_and_embeddings_that_reverse_nothing_change_nothing(
    client: Any, keys: Any, work: Any
) -> None:
    # An isolate shows Latin letters in their stored order: "toidi" is what a reader sees.
    set_words(client, keys, "banned_words")
    assert verdict(client, keys, work, f"you {RLI}toidi{PDI}")["status"] != "rejected"
