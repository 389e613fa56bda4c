"""The foreign protocols sites already speak: Perspective, Akismet 1.1, Coral's external phase.

Each protocol keeps its own answers and error shapes byte for byte (Google's JSON errors,
Akismet's plain text, Coral's 204/moderationAction), so none of them uses the ``/v1`` JSON error
shape. They share the ``/v1`` path behind the wire: the same submissions table, queue, workers,
policy and audit log. The ``*_protocol.py`` modules are the wire formats, pure and Flask-free; the
views beside them are the blueprints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """The protocols' blueprints, for ``create_app`` (imported here, not when workers import)."""
    from moderation.compat import akismet, coral, perspective

    return [perspective.blp, akismet.blp, coral.blp]
