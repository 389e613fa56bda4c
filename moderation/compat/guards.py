"""The checks every protocol passes, as ``/v1`` does, whatever its wire format.

``/v1``'s request pipeline (``moderation.http``) leaves the foreign protocols their own bodies
and error shapes, so the same rules are applied here, by each protocol's views, answering in
that protocol's shape:

- JSON bodies: bounded in depth (30,000 nested ``[`` is valid JSON that a recursive parser turns
  into a crash) and UTF-8 only: :func:`load_json` raises :class:`BadInput`;
- text that cannot be stored (a NUL, which PostgreSQL refuses; an unpaired surrogate, which
  UTF-8 cannot encode): refused, or for a comment body that must still be judged, cleaned
  (:func:`clean_text`);
- URLs stored from a protocol (an author's site, a permalink, a story): ``http``/``https`` only,
  as ``/v1``'s schema (:func:`web_url`); anything else (``javascript:``) is not stored;
- a browser request (``Origin``) only from an origin registered for the key's site
  (:func:`origin_allowed`), as ``moderation.http.cors`` rules for ``/v1``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from moderation.http.cors import normalize_origin
from moderation.http.inputs import MAX_DEPTH

# Lone UTF-16 surrogates, as Python holds them after json.loads("\"\\ud83d\"").
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
URL_SCHEMES = frozenset({"http", "https"})
MAX_URL = 2048


class BadInput(ValueError):
    """A body or value the protocol answers with its own 400/422."""


def depth_exceeded(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (iterative: no recursion to overflow)."""
    stack: list[tuple[int, Any]] = [(0, value)]
    while stack:
        depth, item = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((depth + 1, child) for child in item.values())
        elif isinstance(item, list):
            stack.extend((depth + 1, child) for child in item)
    return False


def load_json(raw: bytes) -> Any:
    """The JSON value of ``raw``; :class:`BadInput` if not UTF-8 JSON or nested too deep."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadInput(f"The body is nested more than {MAX_DEPTH} levels deep.") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise BadInput(f"The body is not valid JSON: {error}") from None
    if depth_exceeded(value):
        raise BadInput(f"The body is nested more than {MAX_DEPTH} levels deep.")
    return value


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None."""
    if "\x00" in value:
        return "NUL characters are not allowed"
    if LONE_SURROGATE.search(value):
        return "unpaired surrogates are not valid Unicode"
    return None


def bad_string(value: Any) -> str | None:
    """The first string (or key) anywhere in ``value`` that cannot be stored, with why; or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if (problem := text_problem(item)) is not None:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def clean_text(value: str) -> str:
    """``value`` with NULs dropped and unpaired surrogates replaced by U+FFFD (storable)."""
    return LONE_SURROGATE.sub(REPLACEMENT, value.replace("\x00", ""))


def web_url(value: str | None) -> str | None:
    """``value`` if it is an absolute ``http(s)`` URL with a host, else None (not stored)."""
    if not value:
        return None
    value = value.strip()
    if len(value) > MAX_URL or text_problem(value) or any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc:
        return None
    return value


def origin_allowed(origin: str | None, site_origins: list[str] | None) -> bool:
    """Whether a request with ``Origin: origin`` may use a key of a site with these origins.

    No ``Origin`` header: not a browser (a site's backend), allowed, the key is its credential.
    """
    if origin is None:
        return True
    normalized = normalize_origin(origin)
    registered = {normalize_origin(o) for o in site_origins or []}
    return normalized is not None and normalized in registered


def json_body_type(mimetype: str, charset: str | None) -> bool:
    """Whether a request's Content-Type is JSON in UTF-8 (not ``text/plain``: that skips CORS)."""
    return mimetype == "application/json" and (charset or "utf-8").lower() in {"utf-8", "utf8"}
