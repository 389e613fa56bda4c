"""SQLAlchemy models and ``db``, the database handle shared by the API, the workers and the CLI.

One code path serves SQLite (the embedded default) and PostgreSQL (production). Times are stored
in UTC; SQLite returns them naive, so ``UTCDateTime`` makes every value read back timezone-aware.
The schema itself is created by the Alembic migrations in ``moderation/migrations``.

Over 450 lines on purpose: every table is here, so that the schema reads in one place beside the
vocabulary its columns hold (the StrEnums) and the migrations have one module to follow.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    deferred,
    mapped_column,
    relationship,
    scoped_session,
    sessionmaker,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use moderation.storage.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    HELD = "held"
    REJECTED = "rejected"


class Reason(enum.StrEnum):
    """The policy's own reasons for a verdict (``moderation.policy``).

    A comment's reasons also name the labels (``models.labels.Label``) and the spam signals
    (``moderation.policy.DEFAULT_SIGNALS``) behind it by their own names, and a language the
    models do not read as ``language:<code>``.
    """

    BANNED_WORD = "banned_word"
    SUSPECT_WORD = "suspect_word"
    PREMODERATION = "premoderation"
    TRUSTED_AUTHOR = "trusted_author"
    UNSCORED = "unscored"
    SHADOW_HELD = "shadow_held"
    SHADOW_REJECTED = "shadow_rejected"
    # Moderators' settings on an author or a thread (``moderation.settings``).
    AUTHOR_BANNED = "author_banned"
    AUTHOR_SUSPENDED = "author_suspended"
    AUTHOR_PREMODERATED = "author_premoderated"
    AUTHOR_TRUSTED = "author_trusted"
    THREAD_PREMODERATED = "thread_premoderated"
    # Held again after readers reported it (``moderation.reports``).
    REPORTED = "reported"


class Role(enum.StrEnum):
    SUBMIT = "submit"
    MODERATE = "moderate"
    ADMIN = "admin"
    # A 12-character key for the Akismet protocol (moderation.compat.akismet), bound to one site.
    AKISMET = "akismet"


class Actor(enum.StrEnum):
    POLICY = "policy"
    MODERATOR = "moderator"
    # Readers' reports held an approved comment again (``moderation.reports``).
    REPORTS = "reports"


class ModelStatus(enum.StrEnum):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    origins: Mapped[list[Any]] = mapped_column(default=list)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A site key, moderator token or admin token; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # NULL site: the key is valid for every site (admin, or a moderator of all sites).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # A moderator's name ("Dana"), recorded with their decisions, notes and actions; None for
    # keys created without one (site keys, and tokens made before names existed).
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    site: Mapped[Site | None] = relationship()


class WebSession(Base):
    """A signed-in session of the moderator's page, ended on the server (``web/access.py``).

    The cookie carries a random session token; only its SHA-256 is stored (the id). Signing out,
    revoking the key or an admin's "sign out everywhere" sets ``ended_at``: a copy of the cookie
    is then worth nothing, before its 12 hours are up too.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    key: Mapped[ApiKey] = relationship()


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_status_created", "status", "created_at"),
        Index("ix_comments_site_created", "site_id", "created_at"),
        # The recent comments' fingerprints, read from the index alone (near-duplicate texts).
        Index("ix_comments_created_fingerprint", "created_at", "fingerprint"),
        # Comments per client-IP hash and per author in a recent window (velocity signals).
        Index("ix_comments_ip_created", "ip_hash", "created_at"),
        Index("ix_comments_author_created", "author_hash", "created_at"),
        # An author by the site's own id; the reported queue by its sort.
        Index("ix_comments_site_author_id", "site_id", "author_id"),
        Index("ix_comments_reported", "report_count", "last_reported_at"),
        UniqueConstraint("site_id", "idempotency_key", name="uq_comments_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PENDING)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    decided_by: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None]

    name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    author_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The site's own id for the author, when its form sends one: it keys the author's settings.
    author_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2048))
    thread_id: Mapped[str | None] = mapped_column(String(200), index=True)
    thread_url: Mapped[str | None] = mapped_column(String(2048))
    thread_title: Mapped[str | None] = mapped_column(String(500))
    parent_id: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(35))
    client_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(String(2048))

    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explanations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    score_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # SimHash of the text (models.signals.fingerprint), set by the worker; None if too short.
    fingerprint: Mapped[int | None] = mapped_column(BigInteger)
    # The registrable domains it links to that the spam-domain signal counts
    # (models.signals.counted_domains), set by the worker; None if none. A moderator's spam
    # rejection copies them to ``spam_domains`` without the web process reading any link.
    link_domains: Mapped[list[Any] | None] = mapped_column(JSON)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scored_at: Mapped[datetime | None]
    # Readers' reports (``Report``), counted here so the reported queue sorts on the row alone.
    report_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reported_at: Mapped[datetime | None]

    site: Mapped[Site] = relationship()


class SpamDomain(Base):
    """A domain linked by a comment that a moderator rejected as spam: the ``spam_domain`` signal.

    One row per (comment, domain), written with the moderator's decision
    (``moderation.rejected_domains``) and deleted when a moderator changes that decision, so the
    worker counts distinct moderator spam rejections per domain with one index range scan.
    """

    __tablename__ = "spam_domains"
    __table_args__ = (
        Index("ix_spam_domains_domain_created", "domain", "created_at"),
        UniqueConstraint("comment_id", "domain", name="uq_spam_domains_comment_domain"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    # When the moderator rejected the comment (the signal's window starts from it).
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Score(Base):
    """One label's probability from one model version; the source of the per-label filters."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("comment_id", "label", "model_version", name="uq_scores_label_version"),
        Index("ix_scores_label_value", "label", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """The audit log: every change of a comment's status, by the policy or a moderator."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[str] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PolicyChange(Base):
    """The audit log of site policies: who changed a site's policy, when, from what to what."""

    __tablename__ = "policy_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    # Who, readable after the key is gone: "key mat_AbCd12" or "cli:alice".
    actor: Mapped[str] = mapped_column(String(100))
    old: Mapped[dict[str, Any]] = mapped_column(default=dict)
    new: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    """A site's endpoint for ``comment.scored`` / ``comment.decided`` events.

    The signing secret is not stored: it is derived from the server's SECRET_KEY and ``salt``
    (``moderation.webhooks.signing_secret``). After a rotation the previous salt keeps signing,
    beside the new one, until ``previous_valid_until``.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    salt: Mapped[str] = mapped_column(String(64))
    previous_salt: Mapped[str | None] = mapped_column(String(64))
    previous_valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]

    site: Mapped[Site] = relationship()


class WebhookEvent(Base):
    """One event, frozen when its decision or action is recorded: one per decision and type."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("decision_id", "type", name="uq_webhook_events_decision_type"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    # Both NULL for an event of no decision (an author's or a thread's settings, a note).
    comment_id: Mapped[str | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event sent to one webhook: its status and the log of every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # [{"at", "status_code", "error", "duration_ms"}], oldest first.
    log: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    webhook: Mapped[Webhook] = relationship()
    event: Mapped[WebhookEvent] = relationship()


class ModelVersion(Base):
    """One trained model (spam or toxicity) kept in the database, so every worker host can load it.

    At most one version per model name is ``active`` (a partial unique index): the one workers
    score with. ``metrics`` holds the evaluation on held-out moderator feedback made when the
    version was registered, next to the active version's on the same rows.
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
        Index(
            "uq_model_versions_one_active",
            "name",
            unique=True,
            sqlite_where=sql_text("status = 'active'"),
            postgresql_where=sql_text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The skops file itself; deferred so listing versions does not read megabytes.
    artifact: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    size: Mapped[int] = mapped_column(Integer)
    labels: Mapped[list[Any]] = mapped_column(default=list)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data_sources: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default=ModelStatus.CANDIDATE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    promoted_at: Mapped[datetime | None]
    promoted_by: Mapped[str | None] = mapped_column(String(100))


class ModelEvent(Base):
    """The audit log of the model registry: registrations, promotions and rollbacks."""

    __tablename__ = "model_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), index=True)
    # register | promote | rollback; ``baseline`` when the shipped models were adopted.
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(100))
    previous_version: Mapped[str | None] = mapped_column(String(100))
    # Who, readable after the key is gone: "cli:alice", "worker", "key mat_AbCd12".
    actor: Mapped[str] = mapped_column(String(100))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    evaluation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntegrationSecret(Base):
    """A secret another system made and signs with (Coral), sealed under SECRET_KEY.

    Checking a signature needs the secret itself, so it cannot be a hash like ``ApiKey``;
    ``moderation.compat.sealing`` encrypts and authenticates it.
    """

    __tablename__ = "integration_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    site: Mapped[Site] = relationship()


class Suggestion(Base):
    """A verdict offered through a public site key (Perspective ``suggestscore``), not a decision.

    A site key is public (it sits in comment forms), so what it says about a comment is kept as a
    suggestion for moderators to see, not applied: no status change, no training label, no trust.
    A moderator's own decision on the comment is what counts.
    """

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[str] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    # Where it came from ("perspective:suggestscore") and what it suggests (approve, reject, ...).
    source: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A reader's report of a comment: one per reader (a keyed hash) per comment."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("comment_id", "reader_hash", name="uq_reports_reader"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[str] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # A keyed hash of the reader's id, or of the client IP without one (``moderation.privacy``).
    reader_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthorSetting(Base):
    """A moderator's settings on an author of a site: banned, suspended, pre-moderated, trusted.

    ``author_key`` is the site's own author id when its form sends one, else the e-mail hash.
    """

    __tablename__ = "author_settings"
    __table_args__ = (UniqueConstraint("site_id", "author_key", name="uq_author_settings_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    author_key: Mapped[str] = mapped_column(String(200))
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_until: Mapped[datetime | None]
    premoderated: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadSetting(Base):
    """A moderator's settings on one thread (story) of a site: closed, pre-moderated."""

    __tablename__ = "thread_settings"
    __table_args__ = (UniqueConstraint("site_id", "thread_id", name="uq_thread_settings_thread"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(String(200))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    premoderated: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """A moderator's note on a comment or an author, for the next moderator."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_subject", "site_id", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    # "comment" (a comment id) or "author" (an author key).
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModeratorAction(Base):
    """The audit log of actions that change no comment's status: on authors, threads, notes.

    A status change is a ``Decision``; everything else a moderator does is one of these.
    """

    __tablename__ = "moderator_actions"
    __table_args__ = (Index("ix_moderator_actions_subject", "site_id", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    # "author", "thread", "comment" or "watch_list", and its key, thread id, comment id or list id.
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    # ban, unban, suspend, unsuspend, premoderate, unpremoderate, trust, untrust, close, reopen,
    # note; a watch-list's create, update, delete.
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WatchList(Base):
    """A saved queue over a set of threads (stories) of a site, named by a moderator."""

    __tablename__ = "watch_lists"
    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_watch_lists_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    thread_ids: Mapped[list[Any]] = mapped_column(default=list)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a worker writes; busy_timeout waits instead of failing on a
    # lock; NORMAL sync is durable across process crashes (not power loss) and much faster.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A server that hangs (partition, frozen host) must fail like one that refuses: a bounded
    # connect and statement time turn it into a 503 instead of a request that never ends.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_timeout=5,
        connect_args={"connect_timeout": 5, "options": "-c statement_timeout=15000"},
    )


class Database:
    """The engine and a thread-scoped session, bound to a Flask app or used on its own."""

    def __init__(self, url: str | None = None) -> None:
        self.engine: Engine | None = None
        self._session: scoped_session[Session] | None = None
        if url:
            self.configure(url)

    def configure(self, url: str) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url)
        self._session = scoped_session(sessionmaker(self.engine, expire_on_commit=False))

    @property
    def session(self) -> scoped_session[Session]:
        """The thread-scoped session: ``db.session()`` is this thread's ``Session``."""
        if self._session is None:
            raise RuntimeError("Database.configure() was not called")
        return self._session

    def init_app(self, app: Any) -> None:
        self.configure(app.config["DATABASE_URL"])
        app.extensions["database"] = self
        app.teardown_appcontext(self.remove)

    def remove(self, _exception: BaseException | None = None) -> None:
        if self._session is not None:
            self._session.remove()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self.session.remove()


# The process's database handle: bound by create_app (``init_app``), by the worker and by the
# commands (``configure``). It lives here, beside the models, so a worker reaches the database
# without importing Flask or the web stack.
db = Database()
