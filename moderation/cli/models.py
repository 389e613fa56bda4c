"""Commands that run the models without a server: ``score``, ``train``, ``evaluate``.

The models package is imported inside each command, so the other commands (and the web process)
never load scikit-learn.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

SCORE_BATCH = 256


def read_json_lines(stream: IO[str]) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
    """Each line as (comment, None), or (None, error) when the line is not a valid comment."""
    from models.record import CommentRecord

    for number, line in enumerate(stream, start=1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            yield None, f"line {number}: not JSON ({error.msg})"
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            yield None, f"line {number}: needs a string field 'text'"
            continue
        try:
            record = CommentRecord.from_fields(item)
        except ValueError:
            yield None, f"line {number}: text, name, email and url must be strings"
            continue
        yield record.as_fields(), None


@click.command("score")
@click.argument("source", type=click.File("r"), default="-")
@click.option("--models-dir", type=click.Path(exists=True, file_okay=False), default=None)
def score(source: IO[str], models_dir: str | None) -> None:
    """Score JSON Lines (``text`` required; ``name``, ``email``, ``url`` optional) from FILE or -.

    Writes one JSON line per input line, in order; a line that is not a valid comment gets
    ``{"error": ...}`` and the command exits with status 1 at the end.
    """
    from models.artifacts import load_scorer
    from moderation.policy import decide

    scorer = load_scorer(models_dir)
    failed = False
    batch: list[tuple[dict[str, Any] | None, str | None]] = []

    def flush() -> None:
        comments = [item for item, _ in batch if item is not None]
        results = iter(scorer.score(comments) if comments else [])
        for item, error in batch:
            if item is None:
                click.echo(json.dumps({"error": error}))
                continue
            labels = next(results)
            verdict = decide(labels, None, scorer.thresholds)
            line = {
                "spam": labels["spam"],
                "toxicity": labels["toxicity"],
                "labels": labels,
                "verdict": verdict.status,
                "reasons": verdict.reasons,
            }
            click.echo(json.dumps(line))
        batch.clear()

    for entry in read_json_lines(source):
        failed = failed or entry[0] is None
        batch.append(entry)
        if len(batch) >= SCORE_BATCH:
            flush()
    flush()
    if failed:
        sys.exit(1)


@click.command("train")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None)
@click.option("--sample", type=int, default=None, help="Train on this many rows (quick check).")
@click.option("--feedback", type=click.Path(exists=True, path_type=Path), default=None)
@click.option(
    "--encoder",
    is_flag=True,
    help="Then fine-tune the encoder and fit its combination (needs the train extra; "
    "about 40 minutes of training on 2 cores, see docs/models.md).",
)
@click.option(
    "--work",
    "work_dir",
    type=click.Path(path_type=Path),
    default=Path("var/encoder-build"),
    show_default=True,
    help="Where the encoder runs keep their checkpoints and logs.",
)
def train(
    data_dir: Path | None,
    out_dir: Path | None,
    sample: int | None,
    feedback: Path | None,
    encoder: bool,
    work_dir: Path,
) -> None:
    """Train the spam and toxicity models from the labelled datasets."""
    from models.artifacts import ARTIFACTS_DIR
    from models.training.datasets import default_data_dir
    from models.training.train import train as train_models

    data_dir = data_dir or default_data_dir()
    out_dir = out_dir or ARTIFACTS_DIR
    manifest = train_models(data_dir, out_dir, sample=sample, feedback=feedback)
    versions = {name: m.get("version") for name, m in manifest["models"].items()}
    if encoder:
        from models.training.encoder_build import build

        versions["encoder"] = build(data_dir, out_dir, work_dir)["version"]
    click.echo(json.dumps(versions))


@click.command("evaluate")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None)
@click.option("--models-dir", type=click.Path(path_type=Path), default=None)
@click.option("--report", type=click.Path(path_type=Path), default=None)
def evaluate(data_dir: Path | None, models_dir: Path | None, report: Path | None) -> None:
    """Metrics per label and per data source, next to the baselines; writes a report."""
    from models.artifacts import ARTIFACTS_DIR
    from models.evaluate import evaluate as evaluate_models
    from models.training.datasets import default_data_dir

    evaluate_models(data_dir or default_data_dir(), models_dir or ARTIFACTS_DIR, report)


COMMANDS = (score, train, evaluate)
