"""The row every loader yields, the record of a source, and the clean-up all sources share.

Every loader returns :class:`Example` rows whose ``labels`` hold only the labels that source
*defines* for that row (partial labels): a label missing from the dict is unknown, not 0, and the
trainer learns each label only from rows where it is present.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from models.labels import TOXICITY_LABELS as TOX_LABELS
from models.record import CommentRecord

csv.field_size_limit(sys.maxsize)


@dataclass
class Example:
    """One labelled text; ``labels`` holds only the labels its source defines (0 or 1)."""

    text: str
    source: str
    group: str
    labels: dict[str, int]
    name: str | None = None
    email: str | None = None
    url: str | None = None
    video: str | None = None
    split: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def record(self) -> CommentRecord:
        """The comment as the scorer sees it (text plus the optional form fields)."""
        return CommentRecord.from_attributes(self)


Loader = Callable[[Path], Iterable[Example]]


@dataclass(frozen=True)
class Source:
    """One training source: its loader and what the model card says of it.

    ``mapping`` is how its labels map onto the service's (the manifest and the model card
    print it).  ``group`` is what leave-one-source-out holds out together; it is the source's
    own name unless sources share a platform (the Wikipedia sets come from the same talk pages
    and overlap, so holding out only one would leak it).  ``kind``: ``public`` sets are loaded
    by default and evaluated; ``handwritten`` ones are training only; a ``derived`` source has
    no loader (the trainer makes its rows from other sources).
    """

    name: str
    family: Literal["spam", "toxicity"]
    licence: str
    medium: str
    mapping: str
    loader: Loader | None
    group: str = ""
    kind: Literal["public", "handwritten", "derived"] = "public"

    def __post_init__(self) -> None:
        if not self.group:
            object.__setattr__(self, "group", self.name)

    def load(self, data_dir: Path) -> Iterator[Example]:
        """The source's rows, each in the source's group."""
        if self.loader is None:
            return
        for ex in self.loader(data_dir):
            ex.group = self.group
            yield ex


def example(text: str, source: str, labels: dict[str, int | None], **kw: str | None) -> Example:
    """Build an Example, dropping unknown (None) labels and applying the label implications.

    Its group is the source's name; :meth:`Source.load` puts it in the source's group.
    """
    lab = {k: int(v) for k, v in labels.items() if v is not None}
    # Any sub-label positive implies toxicity; a clean (toxicity=0) row has no sub-label.
    if any(lab.get(k) == 1 for k in TOX_LABELS[1:]) and "toxicity" not in lab:
        lab["toxicity"] = 1
    if lab.get("toxicity") == 0:
        for k in TOX_LABELS[1:]:
            lab.setdefault(k, 0)
    return Example(text=text, source=source, group=source, labels=lab, **kw)


def clean_text(s: str) -> str:
    """Source-independent clean-up: BOMs and NULs out, surrounding whitespace stripped."""
    return s.replace("\ufeff", "").replace("\x00", "").strip()


def dedupe_key(text: str) -> str:
    """Key under which two texts count as the same: case, width and spacing folded."""
    s = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w@#]+", " ", s).split())


def read_tsv(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a tab-separated file with a header and no quoting."""
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


_DETOK = [
    (re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)\b"), r"\1"),
    (re.compile(r" ([,.!?;:%)\]])"), r"\1"),
    (re.compile(r"([(\[$]) "), r"\1"),
    (re.compile(r"\s+"), " "),
]


def unify_format(text: str) -> str:
    """Lowercase, undo tokenizer spacing (``do n't`` -> ``don't``, ``word ,`` -> ``word,``).

    ParaDetox's toxic side and HateXplain are lowercased token streams; applying the same to
    their clean side keeps the format from telling the label.
    """
    s = text.lower()
    for rx, rep in _DETOK:
        s = rx.sub(rep, s)
    return s.strip()
