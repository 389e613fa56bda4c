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
        fields: dict[str, Any] = dict(record.as_fields())
        language = item.get("language")
        if isinstance(language, str) and language.strip():
            fields["language"] = language.strip()
        yield fields, None


@click.command("score")
@click.argument("source", type=click.File("r"), default="-")
@click.option("--models-dir", type=click.Path(exists=True, file_okay=False), default=None)
@click.option(
    "--declared",
    default="",
    help="The site's declared languages, comma-separated (e.g. de,en): the prior for short texts.",
)
def score(source: IO[str], models_dir: str | None, declared: str) -> None:
    """Score JSON Lines (``text`` required; ``name``, ``email``, ``url``, ``language`` optional)
    from FILE or -.

    Each comment is routed as the worker routes it (``models.language.route``: the line's
    ``language``, else the detected one, else ``--declared``); a language without a model is not
    scored (``unscored`` and ``language:<code>``). Writes one JSON line per input line, in order,
    with the ``language`` that scored it; a line that is not a valid comment gets
    ``{"error": ...}`` and the command exits with status 1 at the end.
    """
    from models.artifacts import load_scorer
    from models.language import route
    from moderation.policy import decide, unread

    scorer = load_scorer(models_dir)
    prior = tuple(code.strip() for code in declared.split(",") if code.strip())
    failed = False
    batch: list[tuple[dict[str, Any] | None, str | None]] = []

    def flush() -> None:
        routes = [
            route(item["text"], scorer, requested=item.get("language"), declared=prior)
            if item is not None
            else None
            for item, _ in batch
        ]
        # One batch per model, in the order of the lines.
        by_model: dict[int, list[int]] = {}
        for i, routed in enumerate(routes):
            if routed is not None and routed.scorer is not None:
                by_model.setdefault(id(routed.scorer), []).append(i)
        results: dict[int, dict[str, float]] = {}
        for indexes in by_model.values():
            model = routes[indexes[0]].scorer  # type: ignore[union-attr]
            assert model is not None
            scored = model.score([batch[i][0] for i in indexes])  # type: ignore[misc]
            results.update(zip(indexes, scored, strict=True))
        for i, (item, error) in enumerate(batch):
            routed = routes[i]
            if item is None or routed is None:
                click.echo(json.dumps({"error": error}))
                continue
            if routed.scorer is None:
                verdict = unread(routed.language)
                line: dict[str, Any] = {"language": routed.language, "labels": {}}
            else:
                labels = results[i]
                verdict = decide(labels, None, routed.scorer.thresholds)
                line = {
                    "language": routed.language,
                    "spam": labels.get("spam"),
                    "toxicity": labels.get("toxicity"),
                    "labels": labels,
                }
            line.update({"verdict": verdict.status, "reasons": verdict.reasons})
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
    "--allow-missing",
    "allow_missing",
    multiple=True,
    metavar="SOURCE",
    help="Retrain without this source of the shipped models ('all': any); the new manifest "
    "and card say so. Without it, a missing source refuses the retrain (docs/learning.md).",
)
@click.option(
    "--encoder",
    is_flag=True,
    help="Then fine-tune the encoder and fit its combination and thresholds (needs the "
    "train extra; --minutes of training on 2 cores, see docs/models.md).",
)
@click.option(
    "--minutes",
    type=float,
    default=75.0,
    show_default=True,
    help="The encoder's training budget (its schedule is fitted to it).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue a stopped encoder run from its checkpoint in --work.",
)
@click.option(
    "--work",
    "work_dir",
    type=click.Path(path_type=Path),
    default=Path("var/encoder-build"),
    show_default=True,
    help="Where the encoder runs keep their checkpoints and logs.",
)
@click.option(
    "--languages",
    default="",
    help="Then train these languages' models (comma-separated ISO codes, or 'all': the shipped "
    "ones); see docs/models.md, Languages.",
)
@click.option(
    "--licence",
    type=click.Choice(["all", "permissive"]),
    default="all",
    show_default=True,
    help="'permissive': build the language models from permissively licensed sets only "
    "(languages without one are removed) and leave the English models as shipped.",
)
def train(
    data_dir: Path | None,
    out_dir: Path | None,
    sample: int | None,
    feedback: Path | None,
    allow_missing: tuple[str, ...],
    encoder: bool,
    minutes: float,
    resume: bool,
    work_dir: Path,
    languages: str,
    licence: str,
) -> None:
    """Train the spam and toxicity models (and other languages') from the labelled datasets."""
    from models.artifacts import ARTIFACTS_DIR, read_manifest
    from models.training.datasets import default_data_dir
    from models.training.train import train as train_models

    data_dir = data_dir or default_data_dir()
    out_dir = out_dir or ARTIFACTS_DIR
    if licence == "permissive":
        # The English sets' licences are listed in the model card; the English models are
        # not rebuilt here, only the languages, from their permissive sets.
        if encoder or feedback or sample:
            raise click.UsageError("--licence permissive trains the language models only")
        languages = languages or "all"
        manifest = read_manifest(out_dir)
    else:
        from models.training.provenance import MissingSources, reference_manifest

        try:
            manifest = train_models(
                data_dir,
                out_dir,
                sample=sample,
                feedback=feedback,
                # The shipped models' sources: a retrain has them too, or says which it lacks.
                reference=reference_manifest(None),
                allow_missing=allow_missing,
            )
        except MissingSources as error:
            raise click.ClickException(str(error)) from error
    versions = {name: m.get("version") for name, m in manifest["models"].items()}
    if languages:
        from models.training.datasets.languages import LANGUAGE_SOURCES
        from models.training.languages import SHIPPED, train_languages

        codes = list(SHIPPED) if languages == "all" else languages.split(",")
        unknown = sorted(set(codes) - set(LANGUAGE_SOURCES))
        if unknown:
            raise click.UsageError(f"no sets for: {', '.join(unknown)}")
        trained = train_languages(data_dir, out_dir, codes, licence)
        versions.update({code: e["version"] for code, e in trained["languages"].items()})
    if encoder:
        from models.training.encoder_build import build

        entry = build(data_dir, out_dir, work_dir, minutes=minutes, resume=resume)
        versions["encoder"] = entry["version"]
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
