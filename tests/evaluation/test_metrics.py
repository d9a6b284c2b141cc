import math

import pytest
import torch

from reviewgen.evaluation.metrics import bits_per_char, perplexity, sequence_nll


def test_uniform_logits_give_perplexity_v():
    logits = torch.zeros(2, 5, 7)
    targets = torch.tensor([[4, 5, 6, 2, 0], [3, 2, 0, 0, 0]])
    nll, n = sequence_nll(logits, targets)
    assert n == 6
    assert nll == pytest.approx(6 * math.log(7))
    assert perplexity(nll, n) == pytest.approx(7)
    assert bits_per_char(nll, n) == pytest.approx(math.log2(7))


def test_sequence_nll_by_hand_and_ignores_padding():
    logits = torch.tensor([[[0.0, 0.0, math.log(3.0)], [5.0, -5.0, 1.0]]])  # P(2) = 3/5 at step 0
    nll, n = sequence_nll(logits, torch.tensor([[2, 0]]))
    assert (nll, n) == (pytest.approx(-math.log(3 / 5)), 1)
    # Whatever the model says at a padded position does not count.
    logits[0, 1] = torch.tensor([-100.0, 100.0, 0.0])
    assert sequence_nll(logits, torch.tensor([[2, 0]]))[0] == pytest.approx(nll)
    # pad_id is configurable.
    assert sequence_nll(logits[0], torch.tensor([2, 1]), pad_id=1) == (pytest.approx(nll), 1)


def test_averages_need_at_least_one_token():
    with pytest.raises(ValueError, match="at least one"):
        perplexity(0.0, 0)
    with pytest.raises(ValueError, match="at least one"):
        bits_per_char(1.0, 0)
