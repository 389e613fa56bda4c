"""Marks the app factory puts on blueprints as it registers them, for the pipeline to read.

As flask-limiter's ``exempt`` does: ``moderation.http`` knows no blueprint by name; whoever
registers a blueprint says which checks it does its own way.

- ``OWN_PROTOCOL``: the blueprint checks its own keys and bodies and answers in its own shapes
  (the drop-in protocols of ``moderation.compat``): ``auth`` asks no ``/v1`` key (Coral's requests
  are signed, not keyed) and ``inputs`` applies only its header check;
- ``UNLIMITED``: never rate limited (health checks: load balancers and monitoring probe often).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, request

if TYPE_CHECKING:
    from flask import Blueprint, Flask

OWN_PROTOCOL = "own_protocol"
UNLIMITED = "unlimited"
EXTENSION = "moderation.marks"


def mark(app: Flask, blueprint: Blueprint, *marks: str) -> None:
    """Give ``blueprint`` the ``marks`` on ``app``."""
    marked_names: dict[str, set[str]] = app.extensions.setdefault(EXTENSION, {})
    for name in marks:
        marked_names.setdefault(name, set()).add(blueprint.name)


def is_marked(name: str) -> bool:
    """Whether the request at hand goes to a blueprint marked ``name``."""
    return request.blueprint in current_app.extensions.get(EXTENSION, {}).get(name, ())
