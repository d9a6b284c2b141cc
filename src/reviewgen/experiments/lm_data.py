"""Language-model data: sentences as id sequences, batched by length, and a held-out evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from reviewgen.data.tokens import PAD_ID
from reviewgen.data.vocab import Vocab
from reviewgen.models.ngram_counts import ngram_windows
from reviewgen.training.batching import bucket_batches, lm_inputs_targets, pad_batch
from reviewgen.training.trainer import StepOutput, to_device

SPLITS = ("train", "valid", "test")


def char_splits(sentences: pd.DataFrame, vocab: Vocab, max_chars: int, max_train: int | None,
                seed: int) -> tuple[dict[str, list[list[int]]], dict[str, int]]:
    """Each split's sentences as character ids (no specials), and how many were left out, by reason."""
    splits, left_out = {}, {"too_long": 0, "train_budget": 0}
    for split in SPLITS:
        texts = sentences.loc[sentences["split"] == split, "text"].tolist()
        kept = [t for t in texts if len(t) <= max_chars]
        left_out["too_long"] += len(texts) - len(kept)
        if split == "train" and max_train is not None and len(kept) > max_train:
            # A seeded subset, kept in corpus order, is the CPU budget of the default scale.
            chosen = np.sort(np.random.default_rng(seed).choice(len(kept), max_train, replace=False))
            left_out["train_budget"] = len(kept) - max_train
            kept = [kept[i] for i in chosen]
        splits[split] = [vocab.encode(list(text)) for text in kept]
    return splits, left_out


def token_loss(logits: torch.Tensor, targets: torch.Tensor) -> StepOutput:
    """Summed next-token cross-entropy over non-pad targets, averaged per token for the gradient."""
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1),
                          ignore_index=PAD_ID, reduction="sum")
    n_tokens = int((targets != PAD_ID).sum())
    return StepOutput(loss=nll / max(n_tokens, 1), weight=float(n_tokens))


def bucketed(lengths: Sequence[int], batch_size: int, make: Callable[[list[int]], Any]
             ) -> tuple[Callable[[int, torch.Generator], Iterator], Callable[[], Iterator]]:
    """(train_batches, eval_batches): length-bucketed index batches turned into tensors by ``make``.

    Training batches are reshuffled every epoch from the trainer's generator; the evaluation order is
    fixed, so validation and test figures never depend on an RNG.
    """
    fixed = bucket_batches(lengths, batch_size, torch.Generator().manual_seed(0), shuffle=False)

    def train(epoch: int, generator: torch.Generator) -> Iterator:
        for indices in bucket_batches(lengths, batch_size, generator):
            yield make(indices)

    def evaluate() -> Iterator:
        for indices in fixed:
            yield make(indices)

    return train, evaluate


def sequence_batches(seqs: Sequence[Sequence[int]], batch_size: int, extras: Sequence[Any] | None = None
                     ) -> tuple[Callable[[int, torch.Generator], Iterator], Callable[[], Iterator]]:
    """(train_batches, eval_batches) of next-token pairs over ``<bos> seq <eos>``.

    A batch is ``(inputs, targets)``, or ``(inputs, targets, extras)`` where ``extras`` holds one row
    per sequence (e.g. the track features a conditioned model reads).
    """
    full = [[1, *s, 2] for s in seqs]
    extra_tensor = None if extras is None else torch.as_tensor(np.asarray(extras), dtype=torch.float32)

    def make(indices: list[int]) -> tuple:
        inputs, targets = lm_inputs_targets(pad_batch([full[i] for i in indices])[0])
        if extra_tensor is None:
            return inputs, targets
        return inputs, targets, extra_tensor[indices]

    return bucketed([len(s) for s in full], batch_size, make)


def window_batches(seqs: Sequence[Sequence[int]], order: int, batch_size: int
                   ) -> tuple[Callable[[int, torch.Generator], Iterator], Callable[[], Iterator]]:
    """(train_batches, eval_batches) of ``(contexts [B, order-1], next ids [B])`` for a window model."""
    windows = torch.from_numpy(ngram_windows(seqs, order))

    def train(epoch: int, generator: torch.Generator) -> Iterator:
        shuffled = torch.randperm(len(windows), generator=generator)
        for start in range(0, len(shuffled), batch_size):
            rows = windows[shuffled[start : start + batch_size]]
            yield rows[:, :-1], rows[:, -1]

    def evaluate() -> Iterator:
        for start in range(0, len(windows), batch_size):
            rows = windows[start : start + batch_size]
            yield rows[:, :-1], rows[:, -1]

    return train, evaluate


def held_out_nll(model: torch.nn.Module, step_fn: Callable, batches: Callable[[], Iterator],
                 device: torch.device) -> tuple[float, float]:
    """(total nll in nats, number of predicted tokens) of ``model`` over ``batches``."""
    model.eval()
    total = count = 0.0
    with torch.no_grad():
        for batch in batches():
            out = step_fn(model, to_device(batch, device), None)
            total += float(out.loss) * out.weight
            count += out.weight
    return total, count
