"""A neural character LM as one ONNX graph (``models.onnx_export``), which ``reviewgen sample`` runs
without torch (``reviewgen.inference.charlm``).

``step`` is one next-character prediction; the sampling loop around it lives in the runtime.
- A recurrent model (``CharRNNLM``, any cell): the previous character of each row and the recurrent
  state -> logits and the new state. ``meta.json`` names the state tensors (``h``, plus ``c`` for an
  LSTM) and their shape; sampling starts from zeros, as the torch model starts from no state.
- The feed-forward n-gram: the last ``order - 1`` characters of each row -> logits; sampling starts
  from a window of ``<bos>``.
``meta.json`` also holds what the command reads beside the weights (the vocabulary's path).
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
from torch import nn

from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.ngram import FeedForwardNGramLM
from reviewgen.models.onnx_export import BATCH, export_folder, export_graph


class _RecurrentStep(nn.Module):
    def __init__(self, model: CharRNNLM, lstm: bool):
        super().__init__()
        self.model, self.lstm = model, lstm

    def forward(self, previous: torch.Tensor, *state: torch.Tensor):
        logits, state = self.model(previous[:, None], tuple(state) if self.lstm else state[0])
        return (logits[:, -1].float(), *(state if self.lstm else (state,)))


class _WindowStep(nn.Module):
    def __init__(self, model: FeedForwardNGramLM):
        super().__init__()
        self.model = model

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return self.model(window).float()


@torch.no_grad()
def export_charlm_onnx(model: CharRNNLM | FeedForwardNGramLM, extra: dict[str, Any],
                       folder: str | os.PathLike) -> None:
    """Write ``folder`` (atomically) with the step graph and ``meta.json`` (``extra``: plain data)."""
    model = copy.deepcopy(model).cpu().eval()  # the caller's model stays where it is, in its mode
    if isinstance(model, FeedForwardNGramLM):
        meta = {"kind": "window", "order": model.order, "extra": extra}
        with export_folder(folder, meta) as tmp:
            export_graph(_WindowStep(model), (torch.ones(2, model.order - 1, dtype=torch.long),),
                         tmp / "step.onnx", ["window"], ["logits"], {"window": BATCH, "logits": BATCH})
        return
    lstm = isinstance(model.rnn, nn.LSTM)
    layers = model.rnn.num_layers if isinstance(model.rnn, nn.RNNBase) else len(model.rnn.cells)
    names = ["h", "c"] if lstm else ["h"]
    h = torch.zeros(layers, 2, model.rnn.hidden_size)
    meta = {"kind": "recurrent", "state": names, "layers": layers, "hidden": model.rnn.hidden_size, "extra": extra}
    state_axes = {name: {1: "batch"} for name in names + [f"{name}_next" for name in names]}
    with export_folder(folder, meta) as tmp:
        export_graph(_RecurrentStep(model, lstm), (torch.ones(2, dtype=torch.long), *[h] * len(names)),
                     tmp / "step.onnx", ["previous", *names], ["logits", *[f"{n}_next" for n in names]],
                     {"previous": BATCH, "logits": BATCH, **state_axes})
