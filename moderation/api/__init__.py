"""The HTTP API: one blueprint per resource, on the domain modules of ``moderation``."""

from __future__ import annotations

from moderation.api import (
    actions,
    comments,
    feedback,
    health,
    review,
    sites,
    stats,
    watch_lists,
    webhooks,
)

# In the order of /openapi.json.
BLUEPRINTS = [
    module.blp
    for module in (comments, review, actions, watch_lists, health, feedback, sites, webhooks, stats)
]
