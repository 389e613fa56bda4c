"""Marshmallow schemas: one module per blueprint of ``moderation.api``; shared parts in common."""
