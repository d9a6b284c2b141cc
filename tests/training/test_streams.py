"""Stream batching for truncated BPTT: rows laid end to end, windows, carried state."""

from __future__ import annotations

import pytest
import torch

from reviewgen.models.charrnn import CharRNNLM
from reviewgen.training.streams import (
    StreamStep,
    detach_state,
    stream_batches,
    stream_rows,
    stream_tokens,
    stream_windows,
)

SEQS = [[5, 6], [7], [8, 9, 10]]  # framed: 1 5 6 2 | 1 7 2 | 1 8 9 10 2 -> 12 tokens


def test_rows_lay_framed_sequences_end_to_end_without_padding():
    rows = stream_rows(SEQS, batch_size=2)
    assert rows.tolist() == [[1, 5, 6, 2, 1, 7], [2, 1, 8, 9, 10, 2]]
    assert stream_rows(SEQS, batch_size=5).tolist() == [[1, 5], [6, 2], [1, 7], [2, 1], [8, 9]]  # tail dropped


def test_shuffled_rows_repeat_with_the_generator_and_keep_every_token():
    first = stream_rows(SEQS * 20, 4, torch.Generator().manual_seed(3))
    again = stream_rows(SEQS * 20, 4, torch.Generator().manual_seed(3))
    other = stream_rows(SEQS * 20, 4, torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert sorted(first.flatten().tolist()) == sorted(stream_rows(SEQS * 20, 4).flatten().tolist())


def test_windows_shift_targets_by_one_and_flag_only_the_first():
    rows = torch.arange(20).view(2, 10)
    windows = list(stream_windows(rows, bptt=4))
    assert [w[2] for w in windows] == [True, False, False]
    assert [w[0].size(1) for w in windows] == [4, 4, 1]  # 9 targets per row
    for inputs, targets, _ in windows:
        assert torch.equal(targets, inputs + 1)
    assert torch.cat([w[0] for w in windows], dim=1).tolist() == rows[:, :-1].tolist()


def test_token_count_matches_the_targets_of_an_epoch():
    seqs = [[5] * n for n in range(1, 30)]
    windows = list(stream_batches(seqs, 3, 7)(1, torch.Generator().manual_seed(0)))
    assert stream_tokens(seqs, 3) == sum(t.numel() for _, t, _ in windows)


def test_bad_sizes_are_errors():
    with pytest.raises(ValueError):
        stream_rows(SEQS, batch_size=0)
    with pytest.raises(ValueError):
        stream_rows(SEQS, batch_size=12)  # one token per row: nothing to predict
    with pytest.raises(ValueError):
        next(stream_windows(torch.zeros(2, 5, dtype=torch.long), 0))


def test_step_carries_state_between_windows_as_one_long_pass():
    """Two windows with carried state give the same loss as the full rows in one pass."""
    torch.manual_seed(0)
    model = CharRNNLM(vocab_size=12, cell="lstm", emb_dim=4, hidden=8)
    rows = torch.randint(3, 12, (2, 9))
    losses = []
    step = StreamStep(lambda logits, targets: torch.nn.functional.cross_entropy(
        logits.reshape(-1, 12), targets.reshape(-1), reduction="sum"), sequence_step=None)
    for window in stream_windows(rows, bptt=4):
        losses.append(step(model, window, None))
    whole, _ = model(rows[:, :-1])
    expected = torch.nn.functional.cross_entropy(whole.reshape(-1, 12), rows[:, 1:].reshape(-1), reduction="sum")
    assert float(sum(losses)) == pytest.approx(float(expected), rel=1e-5)
    assert all(not h.requires_grad for h in step.hidden)
    # A fresh window starts from zero again, not from the carried state.
    first = next(stream_windows(rows, bptt=4))
    assert float(step(model, first, None)) == pytest.approx(float(losses[0]), rel=1e-6)


def test_step_scores_other_batches_with_the_sentence_step():
    calls = []
    step = StreamStep(loss=None, sequence_step=lambda model, batch, ctx: calls.append(batch) or "scored")
    assert step(None, ("inputs", "targets"), None) == "scored" and len(calls) == 1


def test_detach_state_handles_tensors_pairs_and_none():
    h = torch.ones(2, requires_grad=True) * 2
    assert detach_state(None) is None
    assert not detach_state(h).requires_grad
    assert all(not t.requires_grad for t in detach_state((h, h)))
