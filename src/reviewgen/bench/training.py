"""Training throughput with length-bucketed batches versus a naive baseline, and their loss per token.

Both runs see the same sequences, start from the same weights and optimizer state, and take one pass
over the data; only the batching differs: ``bucket_batches`` padded to each batch's longest sequence,
or ``naive_batches`` padded to the corpus' longest. The loss per token of both, computed in eval mode
from the same weights, must agree: padding is masked out of the loss, so it may cost time, never accuracy.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from unittest import mock

import torch

from reviewgen.bench.cases import Case
from reviewgen.bench.timing import Row, interleaved_median_seconds
from reviewgen.training.batching import bucket_batches, naive_batches
from reviewgen.training.runtime import to_device

Maker = Callable[[list[int], "int | None"], tuple]


def batchings(case: Case, n_sequences: int | None = None) -> dict[str, tuple[list[list[int]], int | None]]:
    """``{name: (index batches, pad width)}`` for the bucketed and the naive batching of the same sequences.

    Bucketing sorts the whole pool of the case, as training sorts each chunk of its data, and the first
    batches holding about ``n_sequences`` (all, if None) are timed: a small pool would bucket worse than
    training does. The naive batches hold exactly those sequences in random order.
    """
    seeded = torch.Generator().manual_seed(0)
    bucketed = bucket_batches(case.lengths, case.batch_size, seeded)
    if n_sequences is not None:
        bucketed = bucketed[: max(1, -(-n_sequences // case.batch_size))]
    chosen = [index for batch in bucketed for index in batch]
    naive = [[chosen[i] for i in batch] for batch in naive_batches(len(chosen), case.batch_size, seeded)]
    return {"bucketed": (bucketed, None), "naive": (naive, case.width)}


@contextlib.contextmanager
def fixed_latents():
    """z = mu in the VAEs: their reparameterisation noise is drawn per batch row, so it would differ
    between two batchings of the same sequences and hide whether the losses agree."""
    with mock.patch.object(torch, "randn_like", torch.zeros_like):
        yield


@torch.no_grad()
def loss_per_token(case: Case, make: Maker, batches: list[list[int]], width: int | None) -> tuple[float, int]:
    """(summed nll / predicted tokens, predicted tokens) of the current weights in eval mode."""
    case.model.eval()
    nll, tokens = 0.0, 0
    with fixed_latents():
        for indices in batches:
            _, batch_nll, batch_tokens = case.loss(case.model, make(indices, width))
            nll, tokens = nll + batch_nll, tokens + batch_tokens
    return nll / tokens, tokens


def train_pass(case: Case, make: Maker, initial: dict, batches: list[list[int]], width: int | None) -> None:
    """One optimizer pass over ``batches`` from the ``initial`` weights and a fresh Adam."""
    case.model.load_state_dict(initial)
    case.model.train()
    optimizer = torch.optim.Adam(case.model.parameters(), lr=case.lr)
    for indices in batches:
        loss, _, _ = case.loss(case.model, make(indices, width))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def padded_cells(case: Case, batches: list[list[int]], width: int | None) -> int:
    """Sequence positions computed, padding included: each batch's size times its width."""
    return sum(len(batch) * (width or max(case.lengths[i] for i in batch)) for batch in batches)


def bench_case(case: Case, repeats: int, device: torch.device, n_sequences: int | None = None,
               bf16: bool = False) -> list[Row]:
    """Rows for the bucketed and naive batchings of one model (and their ratio on the bucketed row)."""
    case.model.to(device)

    def make(indices: list[int], width: int | None) -> tuple:
        return to_device(case.make(indices, width), device)

    initial = copy.deepcopy(case.model.state_dict())
    autocast = torch.autocast("cuda", torch.bfloat16) if bf16 else contextlib.nullcontext()
    plans = batchings(case, n_sequences)
    n_timed = sum(len(batch) for batch in plans["bucketed"][0])
    figures, passes = {}, {}
    with autocast:
        for name, (batches, width) in plans.items():
            case.model.load_state_dict(initial)  # the same weights for both losses
            loss, tokens = loss_per_token(case, make, batches, width)
            figures[name] = {"loss_per_token": loss, "tokens": tokens}
            train_pass(case, make, initial, batches[:2], width)  # warm-up: a full pass would teach nothing more
            passes[name] = lambda b=batches, w=width: train_pass(case, make, initial, b, w)
        for name, seconds in interleaved_median_seconds(passes, repeats).items():
            tokens = figures[name].pop("tokens")
            figures[name] = {"seconds": seconds, "tokens_per_s": tokens / seconds,
                             "seqs_per_s": n_timed / seconds, **figures[name]}
    case.model.load_state_dict(initial)
    speedup = figures["naive"]["seconds"] / figures["bucketed"]["seconds"]
    # How much wider the naive batches are: what bucketing could give at most if every cost grew with the
    # width. It counts the bucketed lengths only: the tense VAE's targets, a random tense of each source
    # verb, are not bucketed, so bucketing narrows them less than it narrows the sources.
    width_ratio = padded_cells(case, *plans["naive"]) / padded_cells(case, *plans["bucketed"])
    agree = abs(figures["naive"]["loss_per_token"] - figures["bucketed"]["loss_per_token"])
    suffix = f" {device.type}" + (" bf16" if bf16 else "")
    return [
        Row("training", f"{case.name}{suffix} bucketed",
            {**figures["bucketed"], "speedup": speedup, "width_ratio": width_ratio},
            note=f"|loss diff| {agree:.1e}"),
        Row("training", f"{case.name}{suffix} naive", figures["naive"]),
    ]
