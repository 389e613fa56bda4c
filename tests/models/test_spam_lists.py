"""The public spam lists as spam-model tokens: listed domains and blocklist phrases."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.artifacts import load_model, save_model
from models.spam_lists import SpamListTokens


@pytest.fixture
def lists_dir(tmp_path: Path) -> Path:
    (tmp_path / "toxic_domains_whole.txt").write_text("cheap-pills.example\nspam.co.uk\n")
    (tmp_path / "spammers.txt").write_text("www.referrer-junk.example\n")
    (tmp_path / "blacklist.txt").write_text(
        "viagra\nbest essay writing\nthe best\nreplica watches\nisn't\n1 2 3\n"
    )
    return tmp_path


def tokens(lists: SpamListTokens, text: str, **fields: str) -> list[str]:
    return lists.transform([{"text": text, **fields}])[0].split()


def test_a_listed_domain_in_a_link_the_url_field_or_the_email(lists_dir: Path) -> None:
    lists = SpamListTokens(str(lists_dir)).fit([])
    assert tokens(lists, "see https://shop.cheap-pills.example/buy") == ["list_domain"]
    assert tokens(lists, "hello", url="http://www.spam.co.uk") == ["list_domain"]
    assert tokens(lists, "hello", email="me@referrer-junk.example") == ["list_domain"]
    # A domain mentioned in prose or merely containing a listed one is not a link to it.
    assert tokens(lists, "a cheap pills example and https://notspam.co.uk") == []


def test_phrases_match_whole_words_and_ordinary_entries_are_left_out(lists_dir: Path) -> None:
    lists = SpamListTokens(str(lists_dir)).fit([])
    assert tokens(lists, "Best essay writing, and Replica watches!") == [
        "list_phrase",
        "list_phrase_2",
    ]
    # Single words ("viagra"), stop-word phrases ("the best"), numbers and contractions are
    # not phrases: a civil comment is full of them.
    assert tokens(lists, "The best viagra isn't 1 2 3 essay writing") == []
    assert tokens(lists, "bestessay writing") == []


def test_without_the_lists_no_tokens_and_the_artifact_keeps_them(
    lists_dir: Path, tmp_path: Path
) -> None:
    off = SpamListTokens(str(tmp_path / "absent")).fit([])
    assert off.n_domains_ == off.n_phrases_ == 0
    assert tokens(off, "https://cheap-pills.example best essay writing") == []
    fitted = SpamListTokens(str(lists_dir)).fit([])
    save_model(fitted, tmp_path / "lists.skops")
    loaded = load_model(tmp_path / "lists.skops")
    assert (loaded.n_domains_, loaded.n_phrases_) == (3, 2)
    assert tokens(loaded, "https://cheap-pills.example") == ["list_domain"]
