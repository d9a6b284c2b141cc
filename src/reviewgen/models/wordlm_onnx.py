"""The word LM as one ONNX graph (``models.onnx_export``), which ``reviewgen sample --model wordlm`` runs
without torch (``reviewgen.inference.wordlm``).

``step``: the previous word of each row, its features and the LSTM state -> the next word's logits and
the new state; the sampling loop around it lives in the runtime. ``meta.json`` holds the state's shape
and what the command reads beside the weights (the vocabulary's path, the feature scaler, the medians
and the training range of the features).
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
from torch import nn

from reviewgen.models.onnx_export import BATCH, export_folder, export_graph
from reviewgen.models.wordlm import ConditionedWordLM


class _Step(nn.Module):
    def __init__(self, model: ConditionedWordLM):
        super().__init__()
        self.model = model

    def forward(self, previous: torch.Tensor, features: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        logits, (h, c) = self.model(previous[:, None], features, (h, c))
        return logits[:, -1].float(), h, c


@torch.no_grad()
def export_wordlm_onnx(model: ConditionedWordLM, extra: dict[str, Any], folder: str | os.PathLike) -> None:
    """Write ``folder`` (atomically) with the step graph and ``meta.json`` (``extra``: plain data)."""
    model = copy.deepcopy(model).cpu().eval()  # the caller's model stays where it is, in its mode
    lstm = model.lstm
    h = torch.zeros(lstm.num_layers, 2, lstm.hidden_size)
    meta = {"layers": lstm.num_layers, "hidden": lstm.hidden_size, "n_features": model.n_features, "extra": extra}
    state_axes = {name: {1: "batch"} for name in ("h", "c", "h_next", "c_next")}
    with export_folder(folder, meta) as tmp:
        export_graph(_Step(model), (torch.full((2,), 1), torch.zeros(2, model.n_features), h, h),
                     tmp / "step.onnx", ["previous", "features", "h", "c"], ["logits", "h_next", "c_next"],
                     {"previous": BATCH, "features": BATCH, "logits": BATCH, **state_axes})
