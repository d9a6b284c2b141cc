"""Loss-proportional replay: which examples an epoch draws, and its state across a checkpoint."""

from __future__ import annotations

import pytest
import torch

from reviewgen.training.hard_examples import HardExamples


def test_every_example_once_until_a_loss_is_known_or_with_no_share():
    assert HardExamples(5, 0.5).draw(torch.Generator().manual_seed(0)).tolist() == [0, 1, 2, 3, 4]
    off = HardExamples(5, 0.0)
    off.record(torch.tensor([0, 1]), torch.tensor([9.0, 1.0]))
    assert off.draw(torch.Generator().manual_seed(0)).tolist() == [0, 1, 2, 3, 4]


def test_the_replayed_share_follows_the_recorded_losses():
    hard = HardExamples(100, 0.5)
    losses = torch.full((100,), 0.01)
    losses[7] = 100.0  # one example the model still gets wrong
    hard.record(torch.arange(100), losses)
    drawn = hard.draw(torch.Generator().manual_seed(0))
    assert len(drawn) == 100
    uniform, replayed = drawn[:50], drawn[50:]
    assert len(set(uniform.tolist())) == 50  # the uniform part has no repeats
    assert (replayed == 7).sum() > 45  # the replayed part is almost all the hard example


def test_an_example_never_recorded_counts_as_the_hardest_seen_and_nan_keeps_the_old_loss():
    hard = HardExamples(3, 1.0)
    hard.record(torch.tensor([0, 1]), torch.tensor([2.0, 1.0]))
    hard.record(torch.tensor([0]), torch.tensor([float("nan")]))
    assert hard.weights().tolist() == [2.0, 1.0, 2.0]


def test_the_losses_survive_a_checkpoint_and_a_wrong_size_is_refused():
    hard = HardExamples(4, 0.5)
    hard.record(torch.tensor([2]), torch.tensor([3.0]))
    again = HardExamples(4, 0.5)
    again.load_state_dict(hard.state_dict())
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert again.draw(g1).tolist() == hard.draw(g2).tolist()
    with pytest.raises(ValueError, match="examples"):
        HardExamples(5, 0.5).load_state_dict(hard.state_dict())
    with pytest.raises(ValueError, match="share"):
        HardExamples(4, 1.5)


def test_replay_draws_the_asked_count_by_loss_and_nothing_before_a_loss_is_known():
    hard = HardExamples(8, 0.5)
    assert hard.replay(3, torch.Generator().manual_seed(0)) is None
    hard.record(torch.arange(8), torch.tensor([0.0] * 7 + [5.0]))
    assert hard.replay(20, torch.Generator().manual_seed(0)).tolist() == [7] * 20
    hard.record(torch.arange(8), torch.zeros(8))
    assert hard.replay(3, torch.Generator().manual_seed(0)) is None
