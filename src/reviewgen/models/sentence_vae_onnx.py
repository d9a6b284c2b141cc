"""The sentence VAE as three ONNX graphs (``models.onnx_export``), which ``reviewgen interpolate`` runs
without torch (``reviewgen.inference.sentence_vae``):

- ``encode``: one sentence's word ids (with ``<eos>``) -> its posterior mean. One sentence at a time:
  without padding the encoder needs no packing, and a sentence takes milliseconds.
- ``start``: z -> the decoder's initial state.
- ``step``: one decoder step from the previous word -> the next word's logits and the new state.

Each wrapper calls the model's own methods, so the graphs compute what :class:`SentenceVAE` computes; the
greedy loop around ``step`` lives in the runtime. ``meta.json`` names the state tensors and holds what
the command reads beside the weights (the vocabulary's path, the length cut).
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
from torch import nn

from reviewgen.models.onnx_export import BATCH, export_folder, export_graph
from reviewgen.models.sentence_vae import SentenceVAE


def state_names(model: SentenceVAE) -> list[str]:
    return ["h", "c"] if model.cell == "lstm" else ["h"]


class _Encode(nn.Module):
    def __init__(self, model: SentenceVAE):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor):
        model = self.model
        _, final = model.encoder(model.embed(tokens))
        return model.to_mu(model.summarize(final))


class _Start(nn.Module):
    def __init__(self, model: SentenceVAE):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor):
        state = self.model._start(z)
        return state if isinstance(state, tuple) else (state,)


class _Step(nn.Module):
    def __init__(self, model: SentenceVAE):
        super().__init__()
        self.model = model

    def forward(self, previous: torch.Tensor, z: torch.Tensor, *state: torch.Tensor):
        model = self.model
        state = tuple(state) if model.cell == "lstm" else state[0]
        output, state = model.decoder(model._step_input(previous.unsqueeze(1), z), state)
        logits = model._logits(output, z).squeeze(1).float()
        return (logits, *state) if isinstance(state, tuple) else (logits, state)


@torch.no_grad()
def export_sentence_vae_onnx(model: SentenceVAE, extra: dict[str, Any], folder: str | os.PathLike) -> None:
    """Write ``folder`` (atomically) with the three graphs and ``meta.json`` (``extra``: plain data)."""
    model = copy.deepcopy(model).cpu().eval()  # the caller's model stays where it is, in its mode
    states = state_names(model)
    state_axes = {name: {1: "batch"} for name in states}
    z = torch.zeros(2, model.latent)
    state = _Start(model)(z)
    meta = {"states": states, "latent": model.latent, "extra": extra}
    with export_folder(folder, meta) as tmp:
        export_graph(_Encode(model), (torch.tensor([[4, 5, 2]]),), tmp / "encode.onnx", ["tokens"], ["mu"],
                     {"tokens": {1: "length"}})
        export_graph(_Start(model), (z,), tmp / "start.onnx", ["z"], states, {"z": BATCH, **state_axes})
        export_graph(_Step(model), (torch.full((2,), 1), z, *state), tmp / "step.onnx", ["previous", "z", *states],
                     ["logits", *(f"{name}_next" for name in states)],
                     {"previous": BATCH, "z": BATCH, "logits": BATCH, **state_axes,
                      **{f"{name}_next": {1: "batch"} for name in states}})
