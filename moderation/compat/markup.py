"""Comment bodies in HTML (Coral's rich text, Perspective's ``type: HTML``, WordPress' comment
content through Akismet) as the plain text the models and the word lists read.

One step for every protocol, so that markup cannot hide from the policy what a reader sees:

- tags are dropped and entities decoded, so ``id<b></b>iot`` and ``id&#105;ot`` read ``idiot``;
- block elements and ``<br>`` become line breaks, so sentences stay apart;
- a link keeps its target as text after its words (``read more (https://spam.example/x)``):
  a spam link hidden behind innocent words is still a link to the spam model;
- ``script`` and ``style`` contents are dropped (no reader sees them).

Nothing here is ever rendered: the output is data.
"""

from __future__ import annotations

from html.parser import HTMLParser

BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
SKIPPED = frozenset({"script", "style"})
# Longest link target kept as text (the URL columns' size).
MAX_LINK = 2048


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        # The targets of the links open now: each is written out when its element ends.
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BREAKS:
            self.parts.append("\n")
        elif tag == "a":
            href = next((value for name, value in attrs if name == "href" and value), None)
            self.links.append(href.strip()[:MAX_LINK] if href and href.strip() else None)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BREAKS:
            self.parts.append("\n")
        elif tag == "a" and self.links:
            self.write_link(self.links.pop())

    def write_link(self, href: str | None) -> None:
        if href and not self.skipping:
            # Spaces around it: "see(http://x)" must not glue the URL to a word.
            self.parts.append(f" ({href}) ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def close(self) -> None:
        super().close()
        while self.links:  # an <a> never closed still says where it went
            self.write_link(self.links.pop())


def html_to_text(html: str) -> str:
    """The text a reader sees in ``html`` (links with their targets), lines stripped."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())
