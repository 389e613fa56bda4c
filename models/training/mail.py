"""The body of a raw e-mail as a comment-sized text: for training on the SpamAssassin corpus.

An e-mail is not a comment: its headers (routes, mailers, dates) would teach the model the
medium, and quoted replies, signatures and mailing-list footers are text nobody wrote for this
message.  :func:`mail_body` keeps what a person (or a spammer) wrote: the first text part
(plain text preferred, HTML reduced to its text and link targets), without quotes, signature
or footer, cut to :data:`MAX_CHARS` at a word boundary.
"""

from __future__ import annotations

import email
import html
import re
from email.message import Message

MAX_CHARS = 800

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"<a\s[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>", re.IGNORECASE)
_BLOCK = re.compile(r"<(?:br|p|div|tr|li|h\d)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Lines from which on the rest is not the message: a signature, a list footer, a forwarded or
# quoted original.
_END = re.compile(
    r"^(?:-- ?$|_{10,}|-{10,}\s*(?:original message|forwarded)|>?\s*on .{5,80} wrote:$)",
    re.IGNORECASE,
)


def html_text(s: str) -> str:
    """The text of an HTML body, with each link's target kept beside its text."""
    s = _COMMENT.sub(" ", _SCRIPT.sub(" ", s))
    s = _HREF.sub(lambda m: f" {m.group(1)} ", s)
    s = _BLOCK.sub("\n", s)
    return html.unescape(_TAG.sub(" ", s))


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1", errors="replace")


def _first_text(msg: Message) -> str:
    plain = rich = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _part_text(part)
        elif kind == "text/html" and rich is None:
            rich = _part_text(part)
    if plain and plain.strip():
        return plain
    return html_text(rich) if rich else ""


def written_lines(text: str) -> str:
    """``text`` up to a signature, footer or quoted original, without quoted lines."""
    kept = []
    for line in text.splitlines():
        s = line.strip()
        if _END.match(s):
            break
        if s.startswith(">"):
            continue
        kept.append(s)
    return " ".join(" ".join(kept).split())


def mail_body(raw: str) -> str:
    """What the sender wrote in the raw e-mail ``raw``: no headers, at most :data:`MAX_CHARS`."""
    msg = email.message_from_string(raw)
    body = written_lines(_first_text(msg))
    if len(body) > MAX_CHARS:
        cut = body.rfind(" ", 0, MAX_CHARS)
        body = body[: cut if cut > MAX_CHARS // 2 else MAX_CHARS]
    return body
