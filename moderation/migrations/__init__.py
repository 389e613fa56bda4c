"""Alembic migrations, applied with ``moderation db upgrade`` (or ``upgrade(url)``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent
# Alembic announces each of its autogenerate plugins at INFO when it is imported: a dozen lines
# of noise before every start. The migrations it runs are still logged.
QUIET_LOGGERS = ("alembic.runtime.plugins",)


def quiet_alembic() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def alembic_config(url: str) -> Config:
    quiet_alembic()
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    # ConfigParser treats % as interpolation; URLs may contain it (encoded passwords).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``."""
    quiet_alembic()
    from alembic import command

    command.upgrade(alembic_config(url), revision)
