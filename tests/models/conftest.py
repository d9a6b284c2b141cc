"""Tiny data and a tiny training loop shared by the language-model tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread_fixed_seed():
    torch.set_num_threads(1)
    torch.manual_seed(0)


@pytest.fixture
def toy_seqs() -> list[list[int]]:
    """Easy-to-learn sequences over ids 4..12: each cycles through one of three short patterns."""
    patterns = [[4, 5, 6], [7, 8], [9, 10, 11, 12]]
    return [(pattern * 6)[: 3 + i % 7] for i, pattern in enumerate(patterns * 4)]


@pytest.fixture
def train():
    """``train(model, loss_fn, steps, lr) -> (first loss, last loss)`` with Adam on one fixed batch."""

    def run(model, loss_fn, steps: int = 40, lr: float = 0.03) -> tuple[float, float]:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = loss_fn(model)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses[0], losses[-1]

    return run
