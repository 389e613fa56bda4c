"""The characters that are, or may stand for, a Latin letter in an evasive word."""

from __future__ import annotations

ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Characters that can stand for a letter in an evasive word (digits and a few symbols).
TOKEN_CHARS = "a-z0-9@$!€"
TOKEN_SET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!€")
