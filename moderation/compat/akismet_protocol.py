"""Akismet REST API 1.1 on the wire: keys, fields, the test triggers and the plain-text answers.

Pure functions, no Flask (``akismet.py`` holds the views). Akismet's answers are plain text that
clients compare byte for byte (``response.text == "true"``), with the details in headers, so this
protocol deliberately does not use the ``/v1`` JSON error shape:

- ``true`` / ``false`` (comment-check), ``valid`` / ``invalid`` (verify-key), ``invalid`` for an
  unknown key anywhere (clients raise their "bad key" error on exactly that body), the one
  submission sentence for submit-spam/submit-ham;
- a missing required field: 400 ``Missing required field: user_ip.`` (+ ``X-akismet-debug-help``);
- no verdict in time: 503 with ``X-akismet-error``: WordPress then holds the comment for a
  moderator. Never a silent ``false``, which would publish an unscored comment.

Clients send many fields Akismet does not define (WordPress: every ``POST_*`` field and the
``HTTP_*`` headers; Discourse: ``content_type``): they are accepted and ignored, unlike on ``/v1``.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KEY_LENGTH = 12
KEY_ALPHABET = string.ascii_lowercase + string.digits
KEY_FORMAT = re.compile(rf"[a-z0-9]{{{KEY_LENGTH}}}")
# What `keys list` shows of an Akismet key: four of its twelve characters, no more.
KEY_TAG = "akismet:"
SHOWN_CHARACTERS = 4

THANKS = "Thanks for making the web a better place."
TEXT_PLAIN = "text/plain; charset=utf-8"
# The test triggers Akismet documents and clients' own tests rely on.
SPAM_AUTHOR = "viagra-test-123"
SPAM_EMAIL = "akismet-guaranteed-spam@example.com"
HAM_ROLE = "administrator"
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})

# The documented fields of the calls (``key``: verify-key's; ``comment_context[]`` is a list).
FIELDS = (
    "api_key",
    "key",
    "blog",
    "user_ip",
    "user_agent",
    "referrer",
    "permalink",
    "comment_type",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_content",
    "comment_date_gmt",
    "comment_post_modified_gmt",
    "comment_parent",
    "blog_lang",
    "blog_charset",
    "user_role",
    "is_test",
    "recheck_reason",
    "honeypot_field_name",
    # submit-spam/submit-ham: the X-akismet-guid comment-check answered; get-stats: the period.
    "guid",
    "from",
)
CONTEXT_FIELD = "comment_context"
# Discourse's name for comment_type.
ALIASES = {"content_type": "comment_type"}
# Bounds on what is stored (the columns' sizes); longer values are cut, not refused.
LIMITS = {
    "comment_author": 100,
    "comment_author_email": 254,
    "comment_author_url": 2048,
    "permalink": 2048,
    "referrer": 2048,
    "user_agent": 500,
    "comment_parent": 200,
    "blog_lang": 35,
}


def new_key() -> str:
    """A 12-character key: WordPress refuses any other length before it sends anything.

    36^12 (62 bits) is less than the other keys' 256 bits, so the rate limits per client IP
    also bound guessing; the key is stored as its SHA-256 like every other key.
    """
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def key_tag(key: str) -> str:
    """The part of a key kept in clear to recognize it (``akismet:abcd``)."""
    return KEY_TAG + key[:SHOWN_CHARACTERS]


def host_key(host: str) -> str | None:
    """The key in the first label of ``KEY.rest.example.org`` (Discourse, Coral), if any."""
    first = host.split(":", 1)[0].split(".", 1)[0].lower()
    return first if KEY_FORMAT.fullmatch(first) else None


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_VALUES


@dataclass(frozen=True)
class Call:
    """One request's fields: the documented ones (strings), the context list; extras dropped."""

    fields: dict[str, str]
    context: list[str] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if value else None

    @property
    def is_test_trigger_spam(self) -> bool:
        author = (self.get("comment_author") or "").strip().lower()
        email = (self.get("comment_author_email") or "").strip().lower()
        return author == SPAM_AUTHOR or email == SPAM_EMAIL

    @property
    def is_test_trigger_ham(self) -> bool:
        return (self.get("user_role") or "").strip().lower() == HAM_ROLE

    @property
    def honeypot_filled(self) -> bool:
        """Whether the hidden honeypot field named by ``honeypot_field_name`` was filled."""
        name = self.get("honeypot_field_name")
        return bool(name and self.fields.get(f"honeypot:{name}"))


def text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def parse_call(values: Mapping[str, Any], lists: Mapping[str, list[Any]] | None = None) -> Call:
    """The documented fields of a form or JSON body (``lists``: every value of a form field).

    Unknown fields are dropped here, except the honeypot field the request names.
    """
    fields: dict[str, str] = {}
    for name, value in values.items():
        name = ALIASES.get(name, name)
        if name in FIELDS and name not in fields:
            fields[name] = text_value(value)
    for name, limit in LIMITS.items():
        if name in fields:
            fields[name] = fields[name][:limit]
    honeypot = fields.get("honeypot_field_name")
    if honeypot and honeypot in values:
        fields[f"honeypot:{honeypot}"] = text_value(values[honeypot])
    context = []
    if lists is not None:
        context = [text_value(v) for v in lists.get(f"{CONTEXT_FIELD}[]", [])]
    raw_context = values.get(CONTEXT_FIELD)
    if isinstance(raw_context, list):
        context = [text_value(v) for v in raw_context]
    return Call(fields=fields, context=context)


def text_problem(call: Call) -> str | None:
    """Which field holds a NUL or an unpaired surrogate (neither can be stored), if any."""
    for name, value in call.fields.items():
        if "\x00" in value:
            return name
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return name
    return None


# -- answers: (body, status, headers) ------------------------------------------------------------

Answer = tuple[str, int, dict[str, str]]


def plain(body: str, status: int = 200, **headers: str) -> Answer:
    return body, status, {"Content-Type": TEXT_PLAIN, **headers}


def invalid_key(help_text: str) -> Answer:
    return plain("invalid", 200, **{"X-akismet-debug-help": help_text})


def missing_field(name: str) -> Answer:
    return plain(
        f"Missing required field: {name}.", 400, **{"X-akismet-debug-help": f"Empty {name!r} value"}
    )


def bad_field(name: str) -> Answer:
    message = f"Invalid value for field: {name}."
    return plain(message, 400, **{"X-akismet-debug-help": message})


def scoring_failed(message: str, retry_after: int = 5) -> Answer:
    """503 with ``X-akismet-error``: the client holds the comment (the body is not true/false)."""
    return plain(message, 503, **{"X-akismet-error": message, "Retry-After": str(retry_after)})


def check_answer(spam: bool, *, discard: bool = False, guid: str | None = None) -> Answer:
    headers = {"X-akismet-guid": guid} if guid else {}
    if spam and discard:
        headers["X-akismet-pro-tip"] = "discard"
    return plain("true" if spam else "false", 200, **headers)


def verdict_answer(status: str, reasons: list[str]) -> tuple[bool, bool]:
    """(spam, discard) for one of our verdicts.

    ``approved`` → not spam. ``held`` and ``rejected`` → spam: Akismet has no "hold", and its
    clients publish anything that is not spam; WordPress keeps spam in its Spam folder, where a
    moderator can rescue it (which comes back to us as submit-ham). A rejection for spam is
    blatant: ``discard``.
    """
    if status == "approved":
        return False, False
    return True, status == "rejected" and "spam" in reasons
