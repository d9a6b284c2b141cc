"""Luong-style (general) attention from decoder states to an encoder's per-position states.

Computed after the decoder step rather than fed into it, so a teacher-forced decoder attends for every
step at once. Padding positions of the memory get no weight.
"""

from __future__ import annotations

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, query_size: int, memory_size: int):
        super().__init__()
        self.memory_size = memory_size
        self.key = nn.Linear(memory_size, query_size, bias=False)

    def forward(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor):
        """``(read [B, T, memory_size], weights [B, T, S])`` for queries ``[B, T, query_size]``, memory
        ``[B, S, memory_size]`` and ``mask [B, S]`` (True at real positions; each row needs one)."""
        scores = torch.bmm(query, self.key(memory).transpose(1, 2))
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=2)
        return torch.bmm(weights, memory), weights
