"""models.artifacts: the skops round trip, refusal of untrusted types and of a wrong checksum."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from models import artifacts
from models.artifacts import UntrustedModelError, load_model, load_model_bytes, save_model


def test_round_trip_with_trusted_types(tmp_path: Path) -> None:
    clf = LogisticRegression().fit([[0.0], [1.0], [0.1], [0.9]], [0, 1, 0, 1])
    digest = save_model({"clf": clf}, tmp_path / "m.skops")
    back = load_model(tmp_path / "m.skops", sha256=digest)
    assert back["clf"].predict([[1.0]])[0] == 1
    back2 = load_model_bytes((tmp_path / "m.skops").read_bytes(), sha256=digest)
    assert back2["clf"].coef_.tolist() == clf.coef_.tolist()


def test_untrusted_type_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    path = tmp_path / "evil.skops"
    sio.dump(DecisionTreeClassifier().fit([[0], [1]], [0, 1]), path)
    with pytest.raises(UntrustedModelError, match="not on the trusted list"):
        load_model(path)
    with pytest.raises(UntrustedModelError):
        save_model(DecisionTreeClassifier().fit([[0], [1]], [0, 1]), tmp_path / "x.skops")
    with pytest.raises(UntrustedModelError):
        load_model_bytes(b"not a zip file")


def test_trusted_list_is_explicit() -> None:
    assert "sklearn.linear_model._logistic.LogisticRegression" in artifacts.TRUSTED_TYPES
    assert not any(t.startswith("builtins.eval") for t in artifacts.TRUSTED_TYPES)


def test_checksum_mismatch_refused_and_nothing_loaded(tmp_path: Path) -> None:
    clf = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    digest = save_model(clf, tmp_path / "m.skops")
    data = (tmp_path / "m.skops").read_bytes()
    with pytest.raises(UntrustedModelError, match="checksum"):
        load_model_bytes(data, sha256="0" * 64)
    assert artifacts.sha256_bytes(data) == digest
