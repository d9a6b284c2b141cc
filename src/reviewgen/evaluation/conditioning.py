"""How much a feature tells a language model: the marginal baseline and the synthetic oracle gain.

The honest "no information" baseline for a conditioned LM ``p(x | f)`` is the marginal likelihood
``p(x) = E_f[p(x | f)]`` over the training distribution of features, estimated with K draws as
``log mean_k p(x | f_k)``. A constant or shuffled feature is not that baseline: a constant is a value the
model may never have seen, and a shuffled one is another track's value, which can cost more than it
tells. The gain in nats per token is ``(nll_marginal - nll_true) / tokens``.

On the synthetic corpus the generator knows the best achievable gain: a planted word's group is drawn
with probability ``p_high(f)`` (truth ``mechanism.p_high_params``), while the word within its group,
the slot kinds and everything else are feature-blind, so only the group sides of the planted words
carry information. The oracle gain is the same marginal contrast computed with the true probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import expit, logsumexp


def marginal_draws(train_rows: np.ndarray, k: int, seed: int) -> np.ndarray:
    """``k`` training rows, one drawn (seeded) from each of ``k`` equal strata of the rows sorted by feature.

    Stratifying by the first feature (then the others) spreads the draws over its whole range, so the
    K-draw estimate of ``E_f[p(x | f)]`` does not hinge on where a few random draws happen to fall; each
    draw is still a real training row, so the joint distribution of several features is kept.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    rows = np.asarray(train_rows, dtype=np.float64)
    if rows.ndim != 2 or len(rows) < k:
        raise ValueError(f"need at least k={k} training rows as [N, F], got shape {rows.shape}")
    order = np.lexsort(rows.T[::-1])
    edges = np.linspace(0, len(rows), k + 1).round().astype(int)
    picks = np.random.default_rng(seed).integers(edges[:-1], edges[1:])
    return rows[order[picks]]


def marginal_nll(logp: np.ndarray) -> float:
    """Total NLL of ``-sum_n log mean_k exp(logp[k, n])`` for per-sequence log-likelihoods ``[K, N]``."""
    logp = np.asarray(logp, dtype=np.float64)
    if logp.ndim != 2 or logp.shape[0] < 1:
        raise ValueError(f"logp must be [K >= 1, N], got shape {logp.shape}")
    return float(-(logsumexp(logp, axis=0) - math.log(logp.shape[0])).sum())


def p_high(values: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """The generator's probability that a feature's slot takes its _high group."""
    floor, slope, center = (float(params[k]) for k in ("floor", "slope", "center"))
    return floor + (1.0 - 2.0 * floor) * expit(slope * (np.asarray(values, dtype=np.float64) - center))


def planted_sides(tokens: Sequence[str], truth: dict[str, Any], features: Sequence[str]) -> dict[str, list[bool]]:
    """For each feature, the sides (True = high) of the planted words of that feature in ``tokens``."""
    sides: dict[str, list[bool]] = {f: [] for f in features}
    words = truth.get("words", {})
    for token in tokens:
        group = words.get(str(token).lower(), {}).get("group", "")
        feature, _, side = group.rpartition("_")
        if feature in sides:
            sides[feature].append(side == "high")
    return sides


def oracle_gain_nats(token_lists: Sequence[Sequence[str]], rows: np.ndarray, draws: np.ndarray,
                     truth: dict[str, Any], features: Sequence[str]) -> float | None:
    """Total oracle gain in nats over the sequences: ``sum_n log p(sides_n | f_n) - log mean_k p(sides_n | f_k)``.

    ``rows`` are each sequence's true feature values and ``draws`` the K marginal feature vectors (both
    raw, columns in ``features`` order). None when the truth has no planted mechanism (real data).
    """
    params = truth.get("mechanism", {}).get("p_high_params")
    if not params or not truth.get("words"):
        return None
    rows, draws = np.asarray(rows, dtype=np.float64), np.asarray(draws, dtype=np.float64)
    total = 0.0
    for tokens, row in zip(token_lists, rows, strict=True):
        sides = planted_sides(tokens, truth, features)
        true_logp, draw_logp = 0.0, np.zeros(len(draws))
        for j, feature in enumerate(features):
            high = np.asarray(sides[feature], dtype=bool)
            if not high.size:
                continue
            n_high, n_low = int(high.sum()), int((~high).sum())
            p_true = float(p_high(np.array([row[j]]), params)[0])
            true_logp += n_high * math.log(p_true) + n_low * math.log1p(-p_true)
            p_draw = p_high(draws[:, j], params)
            draw_logp += n_high * np.log(p_draw) + n_low * np.log1p(-p_draw)
        total += true_logp - float(logsumexp(draw_logp) - math.log(len(draws)))
    return total
