"""Where the tests find the shipped encoder files."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "models" / "artifacts"
