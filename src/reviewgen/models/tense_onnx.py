"""The tense CVAE as three ONNX graphs (``models.onnx_export``), which ``reviewgen tense`` runs without
torch (``reviewgen.inference.tense``):

- ``read``: one word's characters and its tense -> the posterior mean and the character states that
  the decoder attends to. One word at a time: without packing, an unpadded word gives the encoder's
  exact result, and a word takes milliseconds.
- ``start``: z and the target tense -> the decoder's context and initial state.
- ``step``: one decoder step from the previous character -> the next character's logits and the new state.

Each wrapper calls the model's own methods, so the graphs compute what :class:`TenseCVAE` computes; the
greedy loop around ``step`` lives in the runtime. ``meta.json`` holds the alphabet and the shapes, and
``prior.npz`` the fitted aggregate prior (empty when none is fitted).
"""

from __future__ import annotations

import copy
import os

import numpy as np
import torch
from torch import nn

from reviewgen.models.onnx_export import BATCH, export_folder, export_graph
from reviewgen.models.tense_cvae import TenseCVAE


def state_names(model: TenseCVAE) -> list[str]:
    return ["h", "c"] if model.cell == "lstm" else ["h"]


class _Read(nn.Module):
    def __init__(self, model: TenseCVAE):
        super().__init__()
        self.model = model

    def forward(self, chars: torch.Tensor, tense: torch.Tensor):
        model = self.model
        memory, final = model.encoder(model.embed(chars), model.encoder_start(tense))
        return model.to_mu(model.summarize(final)), memory


class _Start(nn.Module):
    def __init__(self, model: TenseCVAE):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor, tense: torch.Tensor):
        context, state = self.model._start(z, tense)
        return (context, *state) if isinstance(state, tuple) else (context, state)


class _Step(nn.Module):
    def __init__(self, model: TenseCVAE):
        super().__init__()
        self.model = model

    def forward(self, previous, context, memory, mask, attend, *state):
        model = self.model
        state = tuple(state) if model.cell == "lstm" else state[0]
        output, state = model.decoder(model._step_input(previous.unsqueeze(1), context), state)
        logits = model._predict(output, context, memory, mask, attend).squeeze(1)
        return (logits, *state) if isinstance(state, tuple) else (logits, state)


@torch.no_grad()
def export_tense_onnx(model: TenseCVAE, chars: list[str], tenses: list[str], folder: str | os.PathLike) -> None:
    """Write ``folder`` (atomically) with the three graphs, ``meta.json`` and ``prior.npz``."""
    model = copy.deepcopy(model).cpu().eval()  # the caller's model stays where it is, in its mode
    states = state_names(model)
    source = {0: "batch", 1: "source"}
    state_axes = {name: {1: "batch"} for name in states}
    z, tense = torch.zeros(2, model.latent), torch.tensor([0, 1])
    context, *state = _Start(model)(z, tense)
    memory, mask = torch.zeros(2, 3, model.attention.memory_size), torch.ones(2, 3, dtype=torch.bool)
    meta = {"chars": list(chars), "tenses": list(tenses), "states": states, "latent": model.latent,
            "memory_size": model.attention.memory_size}
    with export_folder(folder, meta) as tmp:
        export_graph(_Read(model), (torch.tensor([[4, 5, 2]]), torch.tensor([0])), tmp / "read.onnx",
                     ["chars", "tense"], ["mu", "memory"],
                     {"chars": source, "tense": BATCH, "mu": BATCH, "memory": source})
        export_graph(_Start(model), (z, tense), tmp / "start.onnx", ["z", "tense"], ["context", *states],
                     {"z": BATCH, "tense": BATCH, "context": BATCH, **state_axes})
        export_graph(_Step(model), (torch.full((2,), 1), context, memory, mask, mask[:, 0], *state),
                     tmp / "step.onnx", ["previous", "context", "memory", "mask", "attend", *states],
                     ["logits", *(f"{name}_next" for name in states)],
                     {"previous": BATCH, "context": BATCH, "memory": source, "mask": source, "attend": BATCH,
                      "logits": BATCH, **state_axes, **{f"{name}_next": {1: "batch"} for name in states}})
        np.savez(tmp / "prior.npz", mu=model.prior_mu.numpy(), logvar=model.prior_logvar.numpy())
