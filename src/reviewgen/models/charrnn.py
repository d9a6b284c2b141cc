"""Character-level recurrent language models: a hand-written Elman RNN and torch's RNN / GRU / LSTM.

The hand-written cell is there to show (and test) exactly what ``nn.RNN`` computes; the library cells
are the fast path. All four share one model, :class:`CharRNNLM`, so they differ only in the recurrence.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from reviewgen.data.tokens import PAD_ID

from .sampling import autoregress, generating, select_rows

CELLS = ("hand", "rnn", "gru", "lstm")


class HandRNNCell(nn.Module):
    """One Elman step: ``h' = tanh(W_x x + W_h h + b)``.

    ``nn.RNN`` keeps two bias vectors (``b_ih + b_hh``); their sum is this single ``bias``.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias = nn.Parameter(torch.empty(hidden_size))
        # The same uniform(-1/sqrt(H), 1/sqrt(H)) initialisation as nn.RNN, so the two train alike.
        bound = 1.0 / math.sqrt(hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``x [B, input_size]``, ``h [B, hidden_size]`` -> the next hidden state ``[B, hidden_size]``."""
        return torch.tanh(x @ self.weight_ih.T + h @ self.weight_hh.T + self.bias)


class HandRNN(nn.Module):
    """A stack of :class:`HandRNNCell` unrolled over time with a Python loop; batch first.

    Same call convention as ``nn.RNN(batch_first=True)``: ``(x [B, T, I], h0 [L, B, H] | None) ->
    (outputs of the top layer [B, T, H], final states [L, B, H])``, with dropout between layers.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.hidden_size = hidden_size
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.cells = nn.ModuleList(HandRNNCell(size, hidden_size) for size in sizes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        batch, steps, _ = x.shape
        if h0 is None:
            h0 = x.new_zeros(len(self.cells), batch, self.hidden_size)
        finals = []
        for layer, cell in enumerate(self.cells):
            if layer:
                x = self.dropout(x)
            h = h0[layer]
            outputs = []
            for t in range(steps):
                h = cell(x[:, t], h)
                outputs.append(h)
            x = torch.stack(outputs, dim=1)
            finals.append(h)
        return x, torch.stack(finals)


class CharRNNLM(nn.Module):
    """Embedding -> recurrent layers -> linear read-out to next-character logits.

    ``hidden`` is the recurrent state: a tensor ``[layers, B, hidden]``, or an ``(h, c)`` pair for LSTM.
    """

    def __init__(
        self,
        vocab_size: int,
        cell: str = "lstm",
        emb_dim: int = 64,
        hidden: int = 256,
        layers: int = 1,
        dropout: float = 0.0,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {CELLS}")
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        # Dropout inside the stack only exists between layers; torch warns if asked for it with one layer.
        inner_dropout = dropout if layers > 1 else 0.0
        if cell == "hand":
            self.rnn = HandRNN(emb_dim, hidden, layers, inner_dropout)
        else:
            rnn_class = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
            self.rnn = rnn_class(emb_dim, hidden, layers, dropout=inner_dropout, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, inputs: torch.Tensor, hidden=None):
        """``inputs [B, T]`` -> ``(logits [B, T, V], hidden)``; pass ``hidden`` back in to continue."""
        x = self.dropout(self.embed(inputs))
        outputs, hidden = self.rnn(x, hidden)
        return self.out(self.dropout(outputs)), hidden

    @generating
    def sample(
        self, n: int, max_len: int, temperature: float = 1.0, generator: torch.Generator | None = None
    ) -> list[list[int]]:
        """``n`` sequences sampled together from ``<bos>``, each to its ``<eos>`` or ``max_len`` ids.

        ``temperature`` 0 is greedy; ``generator`` (for reproducible draws) must be on the model's device.
        """
        hidden = None

        def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
            nonlocal hidden
            hidden = select_rows(hidden, keep, 1)
            logits, hidden = self(previous[:, None], hidden)
            return logits[:, -1]

        return autoregress(step, n, max_len, temperature, generator, self.out.weight.device)
