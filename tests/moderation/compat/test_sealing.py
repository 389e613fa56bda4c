"""Sealed secrets: readable with the SECRET_KEY that sealed them, and only then."""

from __future__ import annotations

import pytest

from moderation.compat.sealing import SealError, seal, unseal

KEY = "k" * 40


def test_round_trip_and_fresh_nonce() -> None:
    secret = "ems_" + "ab" * 32
    first, second = seal(KEY, secret, "coral"), seal(KEY, secret, "coral")
    assert first != second
    assert secret not in first
    assert unseal(KEY, first, "coral") == unseal(KEY, second, "coral") == secret


def test_another_key_or_purpose_cannot_read_it() -> None:
    sealed = seal(KEY, "the secret", "coral")
    with pytest.raises(SealError):
        unseal("x" * 40, sealed, "coral")
    with pytest.raises(SealError):
        unseal(KEY, sealed, "other")


def test_tampering_is_detected() -> None:
    version, nonce, cipher, tag = seal(KEY, "the secret", "coral").split(".")
    flipped = ("A" if cipher[0] != "A" else "B") + cipher[1:]
    for bad in (f"{version}.{nonce}.{flipped}.{tag}", f"{version}.{nonce}.{cipher}", "junk"):
        with pytest.raises(SealError):
            unseal(KEY, bad, "coral")
