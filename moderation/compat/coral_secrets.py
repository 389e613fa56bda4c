"""Coral's signing secrets for a site: added, listed, removed; kept sealed (``sealing.py``).

Coral makes the secret (its admin shows it beside the external moderation phase or webhook) and
sends one signature per live secret while it rotates one. So rotation here is: add the new
secret (``moderation coral secrets add --site S``), and remove the old one once Coral has
stopped using it; in between, a request signed with either passes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.compat.sealing import SealError, seal, unseal
from moderation.storage import IntegrationSecret, Site, utcnow

KIND = "coral"
PURPOSE = "coral-signing-secret"
MIN_LENGTH = 16


def add_secret(session: Session, site: Site, secret: str, secret_key: str) -> IntegrationSecret:
    """Store ``secret`` for ``site``, sealed under ``secret_key``."""
    secret = secret.strip()
    if len(secret) < MIN_LENGTH:
        raise ValueError(f"a signing secret has at least {MIN_LENGTH} characters")
    row = IntegrationSecret(site=site, kind=KIND, sealed=seal(secret_key, secret, PURPOSE))
    session.add(row)
    session.flush()
    return row


def live_rows(session: Session, site_id: int) -> list[IntegrationSecret]:
    return list(
        session.scalars(
            select(IntegrationSecret)
            .where(
                IntegrationSecret.site_id == site_id,
                IntegrationSecret.kind == KIND,
                IntegrationSecret.revoked_at.is_(None),
            )
            .order_by(IntegrationSecret.id)
        )
    )


def live_secrets(session: Session, site_id: int, secret_key: str) -> list[str]:
    """The site's readable live secrets; one sealed under another SECRET_KEY is skipped."""
    found = []
    for row in live_rows(session, site_id):
        try:
            found.append(unseal(secret_key, row.sealed, PURPOSE))
        except SealError:
            continue
    return found


def remove_secret(session: Session, site_id: int, secret_id: int) -> bool:
    row = session.get(IntegrationSecret, secret_id)
    if row is None or row.site_id != site_id or row.kind != KIND or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
