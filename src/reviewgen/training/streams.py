"""Truncated back-propagation through time over one character stream, as fastai's LM loader does.

Every training sequence, framed as ``<bos> ids <eos>``, is laid end to end (in a new random order each
epoch) and the stream is cut into ``batch_size`` equal rows; a batch is the next ``bptt`` columns of
every row. Nothing is padded, so every computed position is a real target, and a recurrent model carries
its state from one window to the next (see :class:`StreamStep`), seeing contexts longer than ``bptt``.

Each epoch starts from a fresh state, so a checkpoint at an epoch's end holds everything a resumed run
needs: the stream of an epoch is a pure function of the trainer's per-epoch generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from reviewgen.data.tokens import BOS_ID, EOS_ID


def stream_rows(seqs: Sequence[Sequence[int]], batch_size: int, generator: torch.Generator | None = None
                ) -> torch.Tensor:
    """``[batch_size, L]`` rows of the framed sequences laid end to end (shuffled when ``generator``
    is given); the tail that does not fill a whole column is dropped, as fastai does."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = range(len(seqs)) if generator is None else torch.randperm(len(seqs), generator=generator).tolist()
    flat = torch.tensor([t for i in order for t in (BOS_ID, *seqs[i], EOS_ID)], dtype=torch.long)
    width = len(flat) // batch_size
    if width < 2:
        raise ValueError(f"{len(flat)} stream tokens cannot fill {batch_size} rows of 2 or more")
    return flat[: width * batch_size].view(batch_size, width)


def stream_windows(rows: torch.Tensor, bptt: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
    """``(inputs [B, <=bptt], targets [B, <=bptt], fresh)`` windows along ``rows``; targets are the
    inputs shifted by one, and ``fresh`` is True only for the first window (start from a zero state)."""
    if bptt < 1:
        raise ValueError(f"bptt must be >= 1, got {bptt}")
    steps = rows.size(1) - 1
    for start in range(0, steps, bptt):
        end = min(start + bptt, steps)
        yield rows[:, start:end], rows[:, start + 1 : end + 1], start == 0


def stream_batches(seqs: Sequence[Sequence[int]], batch_size: int, bptt: int
                   ) -> Callable[[int, torch.Generator], Iterator[tuple[torch.Tensor, torch.Tensor, bool]]]:
    """The trainer's ``train_batches``: each epoch one newly shuffled stream, cut into windows."""

    def train(epoch: int, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
        yield from stream_windows(stream_rows(seqs, batch_size, generator), bptt)

    return train


def stream_tokens(seqs: Sequence[Sequence[int]], batch_size: int) -> int:
    """How many targets one epoch of :func:`stream_batches` trains on."""
    total = sum(len(s) + 2 for s in seqs)
    return (total // batch_size - 1) * batch_size


def detach_state(hidden: Any) -> Any:
    """A recurrent state (a tensor or a tuple of them) cut from the graph that produced it."""
    if hidden is None:
        return None
    if isinstance(hidden, torch.Tensor):
        return hidden.detach()
    return tuple(h.detach() for h in hidden)


class StreamStep:
    """A step function that carries a recurrent model's state across the windows of a stream.

    ``(inputs, targets, fresh)`` batches continue the state (reset when ``fresh``); any other batch,
    e.g. the ``(inputs, targets)`` of whole held-out sentences, is scored from a zero state with
    ``sequence_step``, exactly as the count n-gram scores each sentence on its own.
    """

    def __init__(self, loss: Callable[[torch.Tensor, torch.Tensor], Any],
                 sequence_step: Callable[[torch.nn.Module, Any, Any], Any]):
        self.loss, self.sequence_step = loss, sequence_step
        self.hidden: Any = None

    def __call__(self, model: torch.nn.Module, batch: tuple, ctx: Any) -> Any:
        if len(batch) != 3:
            return self.sequence_step(model, batch, ctx)
        inputs, targets, fresh = batch
        logits, hidden = model(inputs, None if fresh else self.hidden)
        self.hidden = detach_state(hidden)
        return self.loss(logits, targets)
