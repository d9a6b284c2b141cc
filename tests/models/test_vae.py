"""The VAE pieces both models share: the reparameterised draw, the Gaussian KL and the ELBO loss."""

import math

import pytest
import torch

from reviewgen.models.vae import elbo_loss, gaussian_kl, reparameterize


def test_reparameterized_draws_have_the_posterior_mean_and_spread_and_carry_gradients():
    torch.manual_seed(0)
    mu = torch.full((20000, 2), 1.5, requires_grad=True)
    logvar = torch.log(torch.tensor([[0.25, 4.0]])).expand(20000, 2).clone().requires_grad_(True)
    z = reparameterize(mu, logvar)
    assert z.mean(dim=0).tolist() == pytest.approx([1.5, 1.5], abs=0.05)
    assert z.std(dim=0).tolist() == pytest.approx([0.5, 2.0], rel=0.03)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None


def test_gaussian_kl_is_zero_at_the_prior_and_matches_the_closed_form():
    assert torch.equal(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)), torch.zeros(3, 4))
    mu, var = torch.tensor([[1.0]]), torch.tensor([[2.0]])
    expected = 0.5 * (1.0 + 2.0 - 1.0 - math.log(2.0))
    assert gaussian_kl(mu, var.log()).item() == pytest.approx(expected)


def test_weight_counts_codes_when_each_code_is_decoded_several_times():
    # Two codes, each decoded into two targets (code-major rows): the loss is per code, not per target.
    logits = torch.zeros(4, 1, 5)
    target = torch.full((4, 1), 2)
    mu, logvar = torch.zeros(2, 3), torch.zeros(2, 3)
    loss, weight, sums = elbo_loss(logits, target, mu, logvar, 1.0)
    assert weight == 2 and sums["tokens"] == 4 and sums["kl"] == 0.0
    assert loss.item() == pytest.approx(4 * math.log(5) / 2)


def test_padding_is_not_predicted():
    logits = torch.zeros(1, 3, 5)
    target = torch.tensor([[4, 2, 0]])
    _, _, sums = elbo_loss(logits, target, torch.zeros(1, 2), torch.zeros(1, 2), 1.0)
    assert sums["tokens"] == 2 and sums["nll"] == pytest.approx(2 * math.log(5))


def test_per_example_free_bits_floor_each_sentence_not_the_batch_mean():
    logits = torch.zeros(2, 1, 5)
    target = torch.tensor([[2], [2]])
    # One sentence carries 2 nats in its single dimension, the other none: the batch mean (1 nat) is
    # above a 0.5 floor, but the second sentence alone is below it.
    mu = torch.tensor([[2.0], [0.0]])
    logvar = torch.zeros(2, 1)
    nll = 2 * math.log(5)
    batch_loss, _, _ = elbo_loss(logits, target, mu, logvar, 1.0, free_bits=0.5)
    each_loss, _, sums = elbo_loss(logits, target, mu, logvar, 1.0, free_bits=0.5, per_example=True)
    assert batch_loss.item() == pytest.approx((nll + 2.0) / 2)
    assert each_loss.item() == pytest.approx((nll + 2.0 + 0.5) / 2)
    assert sums["kl"] == pytest.approx(2.0)
