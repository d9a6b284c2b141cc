"""Language-model metrics from summed negative log-likelihoods.

Summing nats over every predicted token and dividing once at the end gives the true per-token average
over a corpus, whatever the batching; averaging per-batch means would weight short batches too much.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def sequence_nll(logits: torch.Tensor, targets: torch.Tensor, pad_id: int = 0) -> tuple[float, int]:
    """``(total nats, number of predicted tokens)`` of ``targets [...]`` under ``logits [..., V]``.

    Targets equal to ``pad_id`` are not predictions and count for nothing.
    """
    flat_logits = logits.reshape(-1, logits.shape[-1]).float()
    total = F.cross_entropy(flat_logits, targets.reshape(-1), ignore_index=pad_id, reduction="sum")
    return float(total), int((targets != pad_id).sum())


def _per_token(total_nll_nats: float, n: int, what: str) -> float:
    if n <= 0:
        raise ValueError(f"need at least one {what} to average over, got {n}")
    return total_nll_nats / n


def bits_per_char(total_nll_nats: float, n_chars: int) -> float:
    """Average bits per predicted character (nats / ln 2)."""
    return _per_token(total_nll_nats, n_chars, "character") / math.log(2)


def perplexity(total_nll_nats: float, n_tokens: int) -> float:
    """exp(average nats per token): the size of a uniform choice that would be as surprising."""
    return math.exp(_per_token(total_nll_nats, n_tokens, "token"))
