"""Batching variable-length id sequences for language-model training.

Padding costs compute: a batch is as long as its longest sequence. Bucketing puts sequences of similar
length together so there is little padding, while drawing buckets from random chunks of the data and
shuffling the batches keeps the order random enough for SGD. Everything is deterministic given a
``torch.Generator``, so a rerun sees the same batches.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from reviewgen.data.tokens import PAD_ID


def pad_batch(
    seqs: Sequence[Sequence[int]], pad_id: int = PAD_ID, pad_to: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad ``seqs`` into ``(ids [B, T], lengths [B])``; ``T`` is the longest length, or ``pad_to``."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    longest = int(lengths.max()) if len(seqs) else 0
    width = longest if pad_to is None else pad_to
    if width < longest:
        raise ValueError(f"pad_to={pad_to} is shorter than the longest sequence ({longest})")
    padded = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    for row, seq in enumerate(seqs):
        padded[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return padded, lengths


def bucket_batches(
    lengths: Sequence[int],
    batch_size: int,
    generator: torch.Generator,
    shuffle: bool = True,
    bucket_factor: int = 50,
) -> list[list[int]]:
    """Index batches of similar-length sequences; every index appears exactly once.

    The indices are split, in random order (or in order when ``shuffle`` is False), into chunks of
    ``batch_size * bucket_factor``; each chunk is sorted by length and cut into batches; finally the
    batches are shuffled. A larger ``bucket_factor`` means less padding but less random batches.
    """
    if batch_size < 1 or bucket_factor < 1:
        raise ValueError(f"batch_size and bucket_factor must be >= 1, got {batch_size}, {bucket_factor}")
    n = len(lengths)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    lengths_t = torch.as_tensor(list(lengths), dtype=torch.long)
    batches = []
    for chunk in order.split(batch_size * bucket_factor):
        # A stable sort keeps equal-length sequences in their (random) chunk order.
        by_length = chunk[torch.sort(lengths_t[chunk], stable=True).indices]
        batches.extend(batch.tolist() for batch in by_length.split(batch_size))
    if shuffle:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def naive_batches(n: int, batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """The baseline: indices in random order cut into batches, lengths ignored.

    A benchmark pads these to the corpus' longest sequence (``pad_batch(..., pad_to=max_len)``), as a
    fixed-shape pipeline would.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return [batch.tolist() for batch in torch.randperm(n, generator=generator).split(batch_size)]


def lm_inputs_targets(padded: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token pairs from padded ``[<bos>, ..., <eos>]`` rows: inputs drop the last column, targets
    the first. Targets that are padding are ``PAD_ID``, which the loss ignores (``ignore_index=PAD_ID``).
    """
    return padded[:, :-1], padded[:, 1:]
