import math

import numpy as np
import pytest

from reviewgen.evaluation.conditioning import (
    marginal_draws,
    marginal_nll,
    oracle_gain_nats,
    p_high,
    planted_sides,
)

# A generator with a known effect: a step at 0.5 from P(high) = 0.25 to 0.75 (a huge slope, floor 0.25).
TRUTH = {
    "words": {"loud": {"group": "energy_high"}, "quiet": {"group": "energy_low"},
              "sunny": {"group": "valence_high"}, "dense": {"group": "neutral"}},
    "mechanism": {"p_high_params": {"floor": 0.25, "slope": 1e6, "center": 0.5}},
}


def test_marginal_nll_is_minus_log_mean_likelihood_by_hand():
    logp = np.log([[0.5, 0.2], [0.1, 0.2]])
    assert marginal_nll(logp) == pytest.approx(-math.log(0.3) - math.log(0.2))
    with pytest.raises(ValueError, match="K >= 1"):
        marginal_nll(np.zeros(3))


def test_marginal_draws_are_seeded_training_rows():
    rows = np.arange(10.0)[:, None]
    draws = marginal_draws(rows, 10, seed=1)
    assert draws.shape == (10, 1) and set(draws[:, 0]) <= set(rows[:, 0])
    assert np.array_equal(draws, marginal_draws(rows, 10, seed=1))
    assert not np.array_equal(marginal_draws(rows, 5, seed=1), marginal_draws(rows, 5, seed=2))


def test_marginal_draws_take_one_row_from_each_stratum_of_the_sorted_rows():
    rows = np.random.default_rng(0).permutation(np.arange(10.0))[:, None]
    for seed in range(5):
        draws = marginal_draws(rows, 5, seed)[:, 0]
        # Strata of two sorted values each: {0, 1}, {2, 3}, ...: the draws never bunch in one end.
        assert list(draws // 2) == [0, 1, 2, 3, 4]
    assert sorted(marginal_draws(rows, 10, seed=3)[:, 0]) == list(range(10))  # k = N: every row once


def test_marginal_draws_keep_the_joint_rows_of_several_features():
    rows = np.array([[0.9, 1.0], [0.1, 2.0], [0.5, 3.0], [0.3, 4.0]])
    draws = marginal_draws(rows, 2, seed=0)
    assert all(any(np.array_equal(d, r) for r in rows) for d in draws)
    assert draws[0, 0] < 0.4 < draws[1, 0]  # stratified by the first feature
    with pytest.raises(ValueError, match="at least k=5"):
        marginal_draws(rows, 5, seed=0)


def test_p_high_matches_the_step_generator():
    assert p_high(np.array([0.0, 1.0]), TRUTH["mechanism"]["p_high_params"]) == pytest.approx([0.25, 0.75])


def test_planted_sides_only_count_the_conditioned_features():
    sides = planted_sides(["Loud", "the", "quiet", "sunny", "dense", "loud"], TRUTH, ["energy"])
    assert sides == {"energy": [True, False, True]}


def test_oracle_gain_by_hand():
    tokens = [["loud"], ["loud", "a", "loud"], ["quiet"], ["the", "sunny"]]
    rows = np.array([[1.0], [1.0], [1.0], [0.0]])
    draws = np.array([[0.0], [1.0]])
    gain = oracle_gain_nats(tokens, rows, draws, TRUTH, ["energy"])
    expected = (math.log(0.75 / 0.5)  # one high word at high energy
                + math.log(0.75**2 / ((0.75**2 + 0.25**2) / 2))  # two of them: the mixture learns f
                + math.log(0.25 / 0.5)  # a low word at high energy costs
                + 0.0)  # a valence word tells nothing about energy
    assert gain == pytest.approx(expected)


def test_oracle_is_the_marginal_gain_of_the_generators_own_model():
    # The generator as a conditioned LM: log p(x | f) = log p(sides | f) + a feature-blind rest. Its gain
    # over the marginal, measured with marginal_nll like the word LM's, is exactly the oracle.
    tokens = [["loud", "x", "quiet"], ["quiet"], ["x"], ["loud", "loud"]]
    rows = np.array([[0.9], [0.2], [0.7], [0.6]])
    draws = np.array([[0.1], [0.4], [0.8]])
    rest = np.array([-3.0, -1.5, -2.0, -4.0])
    params = TRUTH["mechanism"]["p_high_params"]

    def logp(values):
        p = p_high(values, params)
        n_high = np.array([t.count("loud") for t in tokens])
        n_low = np.array([t.count("quiet") for t in tokens])
        return n_high * np.log(p) + n_low * np.log1p(-p) + rest

    true_nll = -logp(rows[:, 0]).sum()
    per_draw = np.stack([logp(np.full(len(tokens), d)) for d in draws[:, 0]])
    gain = marginal_nll(per_draw) - true_nll
    assert oracle_gain_nats(tokens, rows, draws, TRUTH, ["energy"]) == pytest.approx(gain)


def test_no_oracle_without_a_planted_mechanism():
    assert oracle_gain_nats([["loud"]], np.ones((1, 1)), np.ones((2, 1)), {"words": {}}, ["energy"]) is None
    no_params = {"words": TRUTH["words"], "mechanism": {}}
    assert oracle_gain_nats([["loud"]], np.ones((1, 1)), np.ones((2, 1)), no_params, ["energy"]) is None
