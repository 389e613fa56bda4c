"""Personal data kept only as keyed hashes: client IP addresses and e-mail addresses.

A keyed hash (HMAC-SHA256 with the server's SECRET_KEY) lets the service compare two values (the
same author, the same client) without storing either: a copy of the database alone reveals
neither, and changing SECRET_KEY makes every stored hash incomparable with new ones.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(value: str | None, secret_key: str) -> str | None:
    """HMAC of ``value`` (trimmed, case-folded) under ``secret_key``; None for no value."""
    if not value:
        return None
    return hmac.new(secret_key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()
