"""Training schedules for the VAEs: KL annealing, teacher forcing, and word dropout.

The two schedules are small stateful objects: ``weight(step)`` / ``ratio(epoch)`` are pure functions of
the configuration, and a counter advanced by ``step()`` gives the current ``value``. Only the counter is
state, so ``state_dict()`` / ``load_state_dict()`` are enough for the trainer to resume a run exactly.
"""

from __future__ import annotations

import math

KL_KINDS = ("constant", "linear", "logistic", "monotonic", "cyclical")


class KLAnnealing:
    """The weight of the KL term at each optimisation step.

    - ``constant``: ``max_weight`` from the first step.
    - ``linear``: from 0 up to ``max_weight`` across the whole run (``total_steps``).
    - ``monotonic``: linear ramp over ``warmup_steps``, then flat (Bowman et al. 2016's idea, linear form).
    - ``logistic``: Bowman et al.'s sigmoid, centred on ``warmup_steps / 2``, 1 % of the maximum at step 0
      and 99 % at ``warmup_steps``.
    - ``cyclical``: Fu et al. 2019: ``total_steps`` split into ``n_cycles`` cycles; within each the weight
      ramps linearly for the first ``ratio`` of the cycle, then stays at ``max_weight``. Each restart from
      0 lets the encoder put information back into z that the decoder can then learn to use.

    Past ``total_steps`` every kind stays at ``max_weight``, so a run trained longer than planned ends at
    the full weight instead of restarting a cycle.

    ``zero_steps`` puts a phase of weight 0 (an autoencoder, Li et al. 2019) before the schedule, which
    then runs on the steps that follow as if they were its first.
    """

    def __init__(self, kind: str = "monotonic", max_weight: float = 1.0, warmup_steps: int = 1000,
                 total_steps: int | None = None, n_cycles: int = 4, ratio: float = 0.5, zero_steps: int = 0):
        if kind not in KL_KINDS:
            raise ValueError(f"KL annealing kind must be one of {KL_KINDS}, got {kind!r}")
        if max_weight < 0:
            raise ValueError(f"max_weight must be >= 0, got {max_weight}")
        if kind in ("linear", "cyclical") and (total_steps is None or total_steps < 1):
            raise ValueError(f"KL annealing {kind!r} needs total_steps >= 1, got {total_steps}")
        if kind in ("monotonic", "logistic") and warmup_steps < 1:
            raise ValueError(f"KL annealing {kind!r} needs warmup_steps >= 1, got {warmup_steps}")
        if kind == "cyclical" and (n_cycles < 1 or not 0 < ratio <= 1):
            raise ValueError(f"cyclical annealing needs n_cycles >= 1, 0 < ratio <= 1: {n_cycles}, {ratio}")
        if zero_steps < 0:
            raise ValueError(f"zero_steps must be >= 0, got {zero_steps}")
        self.kind, self.max_weight = kind, float(max_weight)
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        self.n_cycles, self.ratio, self.zero_steps = n_cycles, ratio, zero_steps
        self.current_step = 0

    def weight(self, step: int) -> float:
        if step < self.zero_steps:
            return 0.0
        step -= self.zero_steps
        if self.kind == "constant":
            return self.max_weight
        if self.kind == "monotonic":
            return self.max_weight * min(1.0, step / self.warmup_steps)
        if self.kind == "logistic":
            slope = 2 * math.log(99) / self.warmup_steps
            return self.max_weight / (1 + math.exp(-slope * (step - self.warmup_steps / 2)))
        if step >= self.total_steps:
            return self.max_weight
        if self.kind == "linear":
            return self.max_weight * step / self.total_steps
        period = self.total_steps / self.n_cycles
        within = (step % period) / period
        return self.max_weight * min(1.0, within / self.ratio)

    @property
    def value(self) -> float:
        return self.weight(self.current_step)

    def step(self) -> float:
        """Advance one optimisation step; returns the new weight."""
        self.current_step += 1
        return self.value

    def state_dict(self) -> dict:
        return {"step": self.current_step}

    def load_state_dict(self, state: dict) -> None:
        self.current_step = int(state["step"])


class TeacherForcing:
    """Probability of feeding the gold previous token (instead of the model's own guess) by epoch.

    Decays linearly from ``start`` to ``end`` over ``decay_epochs`` and stays at ``end``: starting fully
    teacher-forced lets the decoder learn fast; a lower ratio later exposes it to its own mistakes.
    """

    def __init__(self, start: float = 1.0, end: float = 0.7, decay_epochs: int = 10):
        if not (0 <= start <= 1 and 0 <= end <= 1):
            raise ValueError(f"teacher forcing ratios must lie in [0, 1], got {start}, {end}")
        if decay_epochs < 0:
            raise ValueError(f"decay_epochs must be >= 0, got {decay_epochs}")
        self.start, self.end, self.decay_epochs = start, end, decay_epochs
        self.epoch = 0

    def ratio(self, epoch: int) -> float:
        if self.decay_epochs == 0 or epoch >= self.decay_epochs:
            return self.end
        return self.start + (self.end - self.start) * epoch / self.decay_epochs

    @property
    def value(self) -> float:
        return self.ratio(self.epoch)

    def step(self) -> float:
        """Advance one epoch; returns the new ratio."""
        self.epoch += 1
        return self.value

    def state_dict(self) -> dict:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = int(state["epoch"])
