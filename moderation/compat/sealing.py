"""Secrets we must be able to read back (Coral's signing secrets), encrypted under SECRET_KEY.

A site key is stored as a hash because we only ever compare it. A Coral signing secret is made by
Coral, and checking an HMAC signature needs the secret itself, so a hash cannot serve: it is
stored sealed instead. The construction uses only the standard library: encrypt-then-MAC with
HMAC-SHA256 as the pseudo-random function, a keystream of HMAC(enc_key, nonce || counter) blocks
XORed into the plaintext, then HMAC(mac_key, nonce || ciphertext) as the tag. Both keys are
derived from SECRET_KEY with their own labels, so a leaked database without SECRET_KEY reveals
nothing, and changing SECRET_KEY makes sealed secrets unreadable (add them again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = "s1"
NONCE_BYTES = 16
BLOCK = hashlib.sha256().digest_size


class SealError(ValueError):
    """A sealed value that was tampered with, truncated, or sealed under another SECRET_KEY."""


def _key(secret_key: str, purpose: str) -> bytes:
    return hmac.new(
        secret_key.encode(), f"moderation-seal:{purpose}".encode(), hashlib.sha256
    ).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + BLOCK - 1) // BLOCK
    stream = b"".join(
        hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for counter in range(blocks)
    )
    return stream[:length]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(secret_key: str, plaintext: str, purpose: str) -> str:
    """``s1.<nonce>.<ciphertext>.<tag>`` (URL-safe base64), readable only with ``secret_key``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = plaintext.encode()
    cipher = bytes(
        a ^ b
        for a, b in zip(
            data, _keystream(_key(secret_key, f"{purpose}:enc"), nonce, len(data)), strict=True
        )
    )
    tag = hmac.new(_key(secret_key, f"{purpose}:mac"), nonce + cipher, hashlib.sha256).digest()
    return ".".join((VERSION, _b64(nonce), _b64(cipher), _b64(tag)))


def unseal(secret_key: str, sealed: str, purpose: str) -> str:
    """The plaintext of ``seal``; :class:`SealError` if it is not authentic."""
    try:
        version, nonce_text, cipher_text, tag_text = sealed.split(".")
        nonce, cipher, tag = _unb64(nonce_text), _unb64(cipher_text), _unb64(tag_text)
    except ValueError as error:
        raise SealError("not a sealed value") from error
    if version != VERSION:
        raise SealError(f"unknown seal version {version!r}")
    expected = hmac.new(_key(secret_key, f"{purpose}:mac"), nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise SealError("the sealed value is not authentic (another SECRET_KEY?)")
    stream = _keystream(_key(secret_key, f"{purpose}:enc"), nonce, len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode()
