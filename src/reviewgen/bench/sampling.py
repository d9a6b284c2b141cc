"""Conditional sampling from the word LM: the batched sampler of the word-frequency report versus a
naive loop that draws one sequence, one token at a time."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from reviewgen.bench.cases import Case
from reviewgen.bench.timing import Row, interleaved_median_seconds
from reviewgen.bench.training import batchings, train_pass
from reviewgen.data.tokens import BOS_ID, EOS_ID
from reviewgen.evaluation.wordfreq import sample_words
from reviewgen.models.sampling import generating, sample_next
from reviewgen.training.runtime import to_device


@generating
def naive_sample_words(model: torch.nn.Module, features_row: torch.Tensor, n_words: int, max_len: int,
                       temperature: float, generator: torch.Generator | None) -> list[list[int]]:
    """Sequences of ids, one at a time and one token per forward call, until they hold ``n_words`` ids.

    The baseline the batched sampler is measured against: same model, same draw (``sample_next``), same
    stopping rule as ``sample_words``, but batch size 1 and Python control flow around every token.
    """
    features = features_row.reshape(1, -1)
    sequences, total = [], 0
    while total < n_words:
        hidden, previous, ids = None, torch.tensor([[BOS_ID]]), []
        for _ in range(max_len):
            logits, hidden = model(previous, features, hidden)
            previous = sample_next(logits[:, -1], temperature, generator)[:, None]
            if int(previous) == EOS_ID:
                break
            ids.append(int(previous))
        sequences.append(ids)
        total += len(ids)
    return sequences


def bench_sampling(case: Case, cfg: dict[str, Any], n_words: int, repeats: int,
                   energies: tuple[float, float] = (0.0, 1.0)) -> list[Row]:
    """Rows for the batched and naive samplers at ``energies``; ``cfg`` is the params `wordfreq` section."""
    # A pass over the case's whole pool first, so the model has learnt where sentences end and samples
    # have realistic lengths (an untrained model runs every sample to max_len).
    batches, width = batchings(case)["bucketed"]
    initial = {k: v.clone() for k, v in case.model.state_dict().items()}
    train_pass(case, lambda i, w: to_device(case.make(i, w), torch.device("cpu")), initial, batches, width)
    model, medians = case.model.cpu(), [0.0] * len(case.scaler.names)
    rows = torch.as_tensor(np.stack([case.scaler.row(medians, **{case.scaler.names[0]: e}) for e in energies]),
                           dtype=torch.float32)
    batch_size, max_len, temperature = cfg["batch_size"], cfg["max_len"], cfg["temperature"]
    generator = torch.Generator().manual_seed(0)

    def batched() -> None:  # both energies in the same batches, as the word-frequency report samples them
        sample_words(model, case.vocab, rows, n_words, batch_size, max_len, temperature, generator)

    naive: list[list[list[int]]] = []

    def one_at_a_time() -> None:
        # On one torch thread, its faster setting: at batch 1 a second thread only adds synchronisation.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            naive[:] = [naive_sample_words(model, row, n_words, max_len, temperature, generator) for row in rows]
        finally:
            torch.set_num_threads(threads)

    sample_words(model, case.vocab, rows, 1, batch_size, max_len, temperature, generator)  # warm-ups: one batch,
    naive_sample_words(model, rows[0], 1, max_len, temperature, generator)  # and one sequence
    # In turns, as the training passes: the naive loop's many tiny calls suffer most when the machine is busy.
    seconds = interleaved_median_seconds({"batched": batched, "naive": one_at_a_time}, repeats)
    batched_s, naive_s = seconds["batched"], seconds["naive"]
    case.model.load_state_dict(initial)
    mean_len = float(np.mean([len(ids) for seqs in naive for ids in seqs]))
    words = len(energies) * n_words
    return [
        Row("sampling", "wordlm batched", {"words": words, "seconds": batched_s, "words_per_s": words / batched_s,
                                           "speedup": naive_s / batched_s},
            note=f"both energies in each batch, <= {batch_size} per energy; target < 2 s and >= 20x naive"),
        Row("sampling", "wordlm naive", {"words": words, "seconds": naive_s, "words_per_s": words / naive_s},
            note=f"one torch thread; mean sample {mean_len:.1f} words"),
    ]
