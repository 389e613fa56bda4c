"""``python -m moderation``: the same as the ``moderation`` command."""

from moderation.cli import run

run()
