"""``moderation score`` routes each line as the worker does (``models.language.route``)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from moderation.cli import main
from tests.workers.test_languages import TOXIC


def score(lines: list[dict[str, str]], *options: str) -> list[dict[str, object]]:
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = CliRunner().invoke(main, ["score", "-", *options], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_each_line_is_scored_by_its_languages_model_or_left_unscored() -> None:
    german, english, dutch, portuguese = score(
        [
            {"text": TOXIC["de"]},
            {"text": "Thank you for the thoughtful article, I learned a lot."},
            {"text": "Dit is een heel goed artikel, hartelijk dank voor de uitgebreide uitleg."},
            {"text": "This line says it is Portuguese.", "language": "pt-BR"},
        ]
    )
    assert german["language"] == "de" and german["verdict"] == "held"
    assert "threat" not in german["labels"] and german["toxicity"] > 0.5
    assert english["language"] == "en" and english["verdict"] == "approved"
    assert set(english["labels"]) >= {"threat", "severe_toxicity"}
    assert dutch == {
        "language": "nl",
        "labels": {},
        "verdict": "held",
        "reasons": ["unscored", "language:nl"],
    }
    assert portuguese["language"] == "pt"


def test_declared_languages_route_short_lines() -> None:
    (undeclared,) = score([{"text": "ok danke"}])
    (declared,) = score([{"text": "ok danke"}], "--declared", "de,en")
    assert (undeclared["language"], declared["language"]) == ("en", "de")
