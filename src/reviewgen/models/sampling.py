"""The batched sampling loop shared by every autoregressive model.

It starts and ends sequences by the special ids of ``reviewgen.data.tokens``, so a model samples
without knowing anything about the vocabulary itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn

from reviewgen.data.tokens import BOS_ID, EOS_ID, PAD_ID


def generating(method: Callable) -> Callable:
    """Run a model's sampling method without gradients and in eval mode (no dropout), then restore it."""

    @functools.wraps(method)
    def wrapper(model: nn.Module, *args, **kwargs):
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return method(model, *args, **kwargs)
        finally:
            model.train(was_training)

    return wrapper


def sample_next(
    logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One id per row of ``logits [B, V]``, drawn from softmax(logits / temperature).

    ``temperature == 0`` means greedy (argmax), the limit of ever lower temperatures. ``<pad>`` and
    ``<bos>`` are never drawn: they are inputs, not outputs, and a model only learns to give them low
    (not zero) probability. ``generator`` must live on the same device as ``logits``.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    # A new tensor either way (the caller's logits stay untouched), written in place from here on:
    # at sampling batch sizes every pass over [B, V] shows in the profile.
    scaled = logits.float().clone() if temperature == 0 else logits.float().div(temperature)
    scaled[:, [PAD_ID, BOS_ID]] = float("-inf")
    if temperature == 0:
        return scaled.argmax(dim=-1)
    cdf = torch.softmax(scaled, dim=-1).cumsum_(-1)
    # An inverse-CDF draw: torch.multinomial dominated sampling time on CPU (cProfile, docs/performance.md);
    # a cumulative sum and a binary search per row draw from the same distribution at a fraction of its
    # cost. right=True never picks a zero-probability id (<pad>, <bos>), even when the uniform draw is 0.
    u = torch.rand(cdf.size(0), 1, generator=generator, device=cdf.device) * cdf[:, -1:]
    return torch.searchsorted(cdf, u, right=True).squeeze(1).clamp_max(cdf.size(1) - 1)


State = torch.Tensor | tuple[torch.Tensor, ...] | None


def select_rows(state: State, keep: torch.Tensor | None, dim: int) -> State:
    """The rows ``keep`` (positions along ``dim``, the batch dimension) of a tensor or a tuple of them;
    everything when ``keep`` is None. A step function of ``autoregress`` uses it on its own state."""
    if keep is None or state is None:
        return state
    if isinstance(state, tuple):
        return tuple(part.index_select(dim, keep) for part in state)
    return state.index_select(dim, keep)


def autoregress(
    step: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
    n: int,
    max_len: int,
    temperature: float,
    generator: torch.Generator | None,
    device: torch.device,
) -> list[list[int]]:
    """Sample ``n`` sequences at once; ``step(previous ids [m], keep) -> logits [m, V]`` keeps its own state.

    Every row starts from ``<bos>`` and stops at its first ``<eos>`` or after ``max_len`` ids. A finished
    row leaves the batch, so each step computes only the rows still running: sample lengths vary a lot,
    and a batch that kept every row to the end of its longest sample computed about twice the ids it
    returned (profiled on the word LM). ``keep`` tells ``step`` which of the rows of its previous call go
    on (their positions, in order), or is None when all do; ``step`` must narrow its state to them
    (``select_rows``) before it runs. Returned sequences exclude ``<bos>`` and ``<eos>``.
    """
    drawn = torch.full((n, max_len), EOS_ID, dtype=torch.long, device=device)
    rows = torch.arange(n, device=device)  # the original row of each row still running
    previous = torch.full((n,), BOS_ID, dtype=torch.long, device=device)
    keep, length = None, 0
    while length < max_len and len(rows):
        previous = sample_next(step(previous, keep), temperature, generator)
        drawn[rows, length] = previous
        length += 1
        running = previous != EOS_ID
        if bool(running.all()):
            keep = None
        else:
            keep = running.nonzero().squeeze(1)
            rows, previous = rows[keep], previous[keep]
    return [_until_eos(row) for row in drawn[:, :length].tolist()]


def _until_eos(ids: list[int]) -> list[int]:
    return ids[: ids.index(EOS_ID)] if EOS_ID in ids else ids
