"""How comments are routed to the language models, measured on the sets themselves.

For each language with a model, the share of its sets' rows (both splits) that
:func:`models.language.route` sends to that language's model, with no declared language and
with the site declaring that language; for the English sets, the share sent anywhere but the
English model (with nothing declared, and on a site declaring ``de`` and ``fr`` beside English).

Run: ``python -m models.evaluate.routing [--sample N]``; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from models.language import route

# English sets measured (toxicity sources of several media).
ENGLISH_SOURCES = (
    "olid-offenseval2019",
    "davidson-hate-speech-offensive",
    "kaggle-insults",
    "civil-comments-toxic-spans",
    "hasoc2019-english",
    "ruddit-reddit-offensiveness",
)


def _routes(
    texts: Iterable[str], languages: Sequence[str], declared: Sequence[str]
) -> Counter[str]:
    """How many texts go to each model (a language code; ``unread:<code>`` for no model)."""
    english = SimpleNamespace(languages={code: code for code in languages})
    out: Counter[str] = Counter()
    for text in texts:
        routed = route(text, english, declared=declared)  # type: ignore[arg-type]
        out[routed.language if routed.scorer is not None else f"unread:{routed.language}"] += 1
    return out


def measure(data_dir: Path, languages: Sequence[str], sample: int, seed: int = 0) -> dict[str, Any]:
    """The routing figures (see the module docstring) on at most ``sample`` rows per set."""
    from models.training.datasets import SOURCES
    from models.training.datasets.languages import LANGUAGE_SOURCES

    rnd = random.Random(seed)
    result: dict[str, Any] = {"languages": {}, "english": {}}
    for code in languages:
        texts = [ex.text for s in LANGUAGE_SOURCES[code] for ex in s.load(data_dir)]
        texts = rnd.sample(texts, min(sample, len(texts)))
        entry = {}
        for name, declared in (("undeclared", ()), ("declared", (code,))):
            counts = _routes(texts, languages, declared)
            entry[name] = {
                "rows": len(texts),
                "to_model": round(counts[code] / len(texts), 4),
                "elsewhere": dict(counts.most_common(4)),
            }
        result["languages"][code] = entry
    by_name = SOURCES
    for name in ENGLISH_SOURCES:
        if name not in by_name:
            continue
        texts = [ex.text for ex in by_name[name].load(data_dir)]
        texts = rnd.sample(texts, min(sample, len(texts)))
        entry = {}
        for label, declared in (("undeclared", ()), ("declared_de_fr", ("de", "fr"))):
            counts = _routes(texts, languages, declared)
            entry[label] = {
                "rows": len(texts),
                "not_english": round(1 - counts["en"] / len(texts), 4),
                "elsewhere": {k: v for k, v in counts.most_common(5) if k != "en"},
            }
        result["english"][name] = entry
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from models.artifacts import read_manifest
    from models.languages import MANIFEST_KEY
    from models.training.datasets import default_data_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    languages = sorted(read_manifest(args.models_dir).get(MANIFEST_KEY) or {})
    print(json.dumps(measure(args.data or default_data_dir(), languages, args.sample), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
