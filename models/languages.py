"""The per-language toxicity models: one scorer per language the manifest ships.

A language's model is a linear toxicity model of the same shape as the English one (one
featurizer, one calibrated head per label, ``models.scorer.LinearLabels``), trained on that
language's sets only (``models.training.languages``). It scores only the labels its data
defines: a German comment gets ``toxicity`` and ``insult`` from the German model and no
``threat`` at all, never the English model's guess (Perspective's ``dropUnsupportedAttributes``
semantics). ``spam`` comes from the shared spam model, whose strongest evidence (links, contact
handles, repeated text, form fields) does not depend on the language.

The manifest lists them under ``languages``, apart from ``models`` (which the English scorer
loads whole)::

    "languages": {"de": {"version": "toxicity-de-1.0.0", "file": "toxicity-de.skops",
                         "sha256": "...", "labels": ["toxicity", "insult"],
                         "thresholds": {...}, "data": [...], "metrics": {...}}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from models.labels import SPAM
from models.scorer import LinearLabels, Scorer

MANIFEST_KEY = "languages"
# Loaded artifacts by sha256: a promotion of the English models rebuilds the scorers, not these.
_loaded: dict[str, Any] = {}


class LanguageScorer(Scorer):
    """The shared spam model and one language's toxicity heads, with that language's thresholds.

    A :class:`~models.scorer.Scorer` in every way a caller sees (``score``, ``explain``,
    ``versions``, ``thresholds``, ``label_models``), except that it reports only the labels it
    has a head for.
    """

    def __init__(
        self,
        language: str,
        toxicity: Mapping[str, Any],
        entry: Mapping[str, Any],
        english: Scorer,
    ) -> None:
        self.language = language
        self.manifest = {"language": language, **dict(entry)}
        self.encoder = None
        self.encoder_version = None
        self.languages = {}
        spam_name = english.label_models[SPAM]
        name = f"toxicity-{language}"
        self.models = {spam_name: english.models[spam_name], name: LinearLabels(toxicity)}
        self.versions = {spam_name: english.versions[spam_name], name: entry["version"]}
        self.label_models = {SPAM: spam_name, **{k: name for k in self.models[name].labels}}
        self.thresholds = {SPAM: english.thresholds[SPAM]}
        self.thresholds.update({k: float(v) for k, v in entry["thresholds"].items()})


def load_languages(
    directory: str | Path,
    manifest: Mapping[str, Any],
    english: Scorer,
    load: Callable[[Path, str], Any],
) -> dict[str, Scorer]:
    """Every language model the manifest lists, by code.

    ``load(path, sha256)`` reads one artifact, checked (``models.artifacts.load_model``: passed
    in, so this module and the artifacts module do not import each other).
    """
    d = Path(directory)
    out: dict[str, Scorer] = {}
    for code, entry in (manifest.get(MANIFEST_KEY) or {}).items():
        artifact = _loaded.get(entry["sha256"])
        if artifact is None:
            artifact = _loaded[entry["sha256"]] = load(d / entry["file"], entry["sha256"])
        out[code] = LanguageScorer(code, artifact, entry, english)
    return out
