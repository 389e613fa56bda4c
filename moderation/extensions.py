"""The app's extensions: created here once, bound to an app by ``create_app`` with ``init_app``.

- ``db``: the database handle (``moderation.storage.db``, re-exported). It is defined beside the
  models rather than here so that the workers reach the database without importing this module,
  which loads flask-smorest, flask-limiter and the schemas;
- ``api``: flask-smorest's Api with the one error shape (``moderation.http.errors.Api``);
- ``limiter``: flask-limiter's Limiter with the three rate limits (``moderation.http.limits``).
"""

from __future__ import annotations

from moderation.http.errors import Api
from moderation.http.limits import build_limiter
from moderation.storage import db

__all__ = ["api", "db", "limiter"]

api = Api()
limiter = build_limiter()
