"""Save and load model artifacts with skops, checked against the manifest.

No pickle: artifacts are skops files, loaded only when every type they contain is on
:data:`TRUSTED_TYPES` (an explicit list, not whatever the file asks for) and, when the manifest
gives one, when the file's sha256 matches.  ``manifest.json`` beside the artifacts names each
model's file, version, checksum, training data, thresholds and metrics; :func:`load_scorer`
reads it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

if TYPE_CHECKING:
    from models.scorer import Scorer

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
MANIFEST = "manifest.json"

# Every type the shipped pipelines are made of.  skops already trusts numpy/scipy basics and
# builtins; anything else in a file must be named here or the load is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "models.features.CharNgramHasher",
    "models.features.norm_texts",
    "models.features.tox_texts",
    "models.features.spam_signal_texts",
    "models.features.spam_signal_texts_v2",
    "models.features.spam_signal_texts_v3",
    "models.spam_lists.SpamListTokens",
    "models.site_layer.base_logits",
    "builtins.slice",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._dia.dia_matrix",
    "scipy.sparse._csr.csr_array",
    "scipy.sparse._dia.dia_array",
)


class UntrustedModelError(Exception):
    """An artifact contains types outside the trusted list, or its checksum does not match."""


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def save_model(obj: Any, path: str | Path) -> str:
    """Write ``obj`` as a compressed skops file; returns its sha256.

    Refuses to write an object whose types are not all trusted, so that what is saved can
    always be loaded again by :func:`load_model`.
    """
    data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
    _check_types(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return sha256_bytes(data)


def _check_types(data: bytes) -> None:
    untrusted = sio.get_untrusted_types(data=data)
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise UntrustedModelError(
            f"model file contains types that are not on the trusted list: {', '.join(refused)}"
        )


def load_model_bytes(data: bytes, sha256: str | None = None) -> Any:
    """Load a model from skops bytes, refusing untrusted types or a checksum mismatch."""
    if sha256 is not None and sha256_bytes(data) != sha256:
        raise UntrustedModelError(
            f"model checksum {sha256_bytes(data)[:12]}… does not match the manifest's "
            f"{sha256[:12]}…; refusing to load"
        )
    # skops itself refuses any type outside `trusted` (one pass over the file, instead of
    # listing the untrusted types first, which would parse it twice).
    try:
        return sio.loads(data, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        raise UntrustedModelError(
            f"model file contains types that are not on the trusted list: {exc}"
        ) from exc
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UntrustedModelError(f"not a readable skops model file: {exc}") from exc


def load_model(path: str | Path, sha256: str | None = None) -> Any:
    """Load a model file; see :func:`load_model_bytes`."""
    return load_model_bytes(Path(path).read_bytes(), sha256=sha256)


def read_manifest(directory: str | Path | None = None) -> dict[str, Any]:
    """The manifest of an artifacts directory (default: the package's ``models/artifacts``)."""
    d = Path(directory) if directory is not None else ARTIFACTS_DIR
    path = d / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"no {MANIFEST} in {d}: train the models first (moderation train)")
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(manifest: dict[str, Any], directory: str | Path) -> None:
    """Write ``manifest.json`` atomically."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=d, delete=False, suffix=".tmp") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=False)
        fh.write("\n")
    Path(fh.name).chmod(0o644)
    Path(fh.name).replace(d / MANIFEST)


def load_models(directory: str | Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load every model the manifest lists, checking each checksum; returns (models, manifest)."""
    d = Path(directory) if directory is not None else ARTIFACTS_DIR
    manifest = read_manifest(d)
    models = {}
    for name, entry in manifest["models"].items():
        models[name] = load_model(d / entry["file"], sha256=entry["sha256"])
    return models, manifest


def load_scorer(directory: str | Path | None = None) -> Scorer:
    """The scorer over the artifacts in ``directory`` (default: the shipped ones), with the
    encoder when the manifest ships one and ``MODERATION_ENCODER`` is not ``off``, and the
    other languages' scorers (``models.languages``) in its ``languages``."""
    from models.encoder import load_encoder
    from models.languages import load_languages
    from models.scorer import Scorer

    models, manifest = load_models(directory)
    d = Path(directory) if directory is not None else ARTIFACTS_DIR
    scorer = Scorer(models, manifest, encoder=load_encoder(d, manifest))
    scorer.languages = load_languages(d, manifest, scorer, load_model)
    return scorer


def dumps_for_storage(obj: Any) -> tuple[bytes, str]:
    """Skops bytes and their sha256, for keeping a model version in a database."""
    buf = io.BytesIO(sio.dumps(obj, compression=zipfile.ZIP_DEFLATED))
    data = buf.getvalue()
    _check_types(data)
    return data, sha256_bytes(data)
