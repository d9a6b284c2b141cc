"""Loss-proportional replay of training examples (online hard-example selection, Loshchilov and Hutter 2015).

A rule that most examples follow (English past tense: add "-ed") is learnt from the many; the few
exceptions (irregular pasts) give a small share of any epoch's gradient and stay unlearnt while the rule
is already fitted. ``HardExamples`` keeps each example's latest training loss, as the steps saw it,
and draws a share of the next epoch's examples in proportion to it, so an example the model still
gets wrong comes back sooner; the rest of the epoch is a uniform draw without replacement, so every
example keeps being seen. It chooses by loss alone: it knows nothing about which examples are
exceptions.

The losses are trainer state (``state_dict``), checkpointed with the epoch that recorded them, so a
resumed run draws what the uninterrupted one drew.
"""

from __future__ import annotations

import torch


class HardExamples:
    def __init__(self, n: int, share: float):
        """``n`` examples; ``share`` (0..1) of each epoch is drawn by loss once losses are known."""
        if n < 1:
            raise ValueError(f"need at least one example, got {n}")
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must lie in [0, 1], got {share}")
        self.share = share
        self.loss = torch.full((n,), float("nan"))

    def record(self, examples: torch.Tensor, losses: torch.Tensor) -> None:
        """The latest loss of each of ``examples`` (indices); a NaN loss leaves an example as it was."""
        losses = losses.detach().float().cpu()
        keep = ~torch.isnan(losses)
        self.loss[examples.cpu()[keep]] = losses[keep]

    def weights(self) -> torch.Tensor | None:
        """Sampling weights, the recorded losses (an example never recorded counts as the hardest seen);
        None before any loss is known."""
        seen = ~torch.isnan(self.loss)
        if not seen.any():
            return None
        weights = self.loss.clone()
        weights[~seen] = self.loss[seen].max()
        return weights.clamp(min=0.0)

    def replay(self, count: int, generator: torch.Generator) -> torch.Tensor | None:
        """``count`` example indices drawn with replacement in proportion to the losses; None while no
        loss is known (or every loss is 0)."""
        weights = self.weights()
        if weights is None or float(weights.sum()) <= 0:
            return None
        return torch.multinomial(weights, count, replacement=True, generator=generator)

    def draw(self, generator: torch.Generator) -> torch.Tensor:
        """The example indices of one epoch, ``n`` of them: every example once while no loss is known
        or ``share`` is 0; otherwise a uniform subset without replacement plus ``share * n`` replayed
        in proportion to the losses."""
        n = len(self.loss)
        hard = round(self.share * n)
        weights = self.weights()
        if weights is None or hard == 0 or float(weights.sum()) <= 0:
            return torch.arange(n)
        uniform = torch.randperm(n, generator=generator)[:n - hard]
        return torch.cat([uniform, self.replay(hard, generator)])

    def state_dict(self) -> dict:
        return {"loss": self.loss.clone()}

    def load_state_dict(self, state: dict) -> None:
        loss = state["loss"]
        if loss.shape != self.loss.shape:
            raise ValueError(f"losses of {tuple(loss.shape)} examples, expected {tuple(self.loss.shape)}")
        self.loss = loss.clone().float()
