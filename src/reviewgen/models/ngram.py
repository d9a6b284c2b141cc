"""Bengio's feed-forward neural character n-gram (the count baseline is ``models.ngram_counts``).

Both see a sequence as ``[<bos>] * (order - 1) + ids + [<eos>]`` and predict every id after the
padding from the ``order - 1`` ids before it, so their cross-entropies are directly comparable.
"""

from __future__ import annotations

import torch
from torch import nn

from reviewgen.data.tokens import BOS_ID

from .sampling import autoregress, generating, select_rows


class FeedForwardNGramLM(nn.Module):
    """Bengio et al. (2003): embed the previous ``order - 1`` ids, concatenate, tanh layer, logits.

    Unlike counts, similar contexts share statistical strength through the embeddings, so unseen
    contexts still get sensible predictions. (The paper's optional direct input-to-output connections
    are left out.)
    """

    def __init__(self, vocab_size: int, order: int, emb_dim: int = 32, hidden: int = 256):
        super().__init__()
        if order < 2:
            raise ValueError(f"a neural n-gram needs order >= 2 (at least one context id), got {order}")
        self.order = order
        self.embed = nn.Embedding(vocab_size, emb_dim)
        self.hidden = nn.Linear((order - 1) * emb_dim, hidden)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, contexts: torch.Tensor) -> torch.Tensor:
        """``contexts [B, order - 1]`` -> next-id logits ``[B, V]``."""
        x = self.embed(contexts).flatten(start_dim=1)
        return self.out(torch.tanh(self.hidden(x)))

    @generating
    def sample(
        self, n: int, max_len: int, temperature: float = 1.0, generator: torch.Generator | None = None
    ) -> list[list[int]]:
        """``n`` sequences at once, each from ``<bos>`` padding to ``<eos>`` or ``max_len`` ids."""
        device = self.out.weight.device
        window = torch.full((n, self.order - 1), BOS_ID, dtype=torch.long, device=device)

        def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
            nonlocal window
            # The first call brings one more <bos>, which leaves the all-<bos> window unchanged.
            window = torch.cat([select_rows(window, keep, 0)[:, 1:], previous[:, None]], dim=1)
            return self(window)

        return autoregress(step, n, max_len, temperature, generator, device)
