"""A neural character LM's samples from its ONNX export (``models.charlm_onnx``), for ``reviewgen sample``.

Each row is sampled as the torch model's ``sample`` samples it (``inference.decoding``: the same loop,
numpy's generator): a recurrent model from a zero state, the feed-forward n-gram from a window of
``<bos>``. ``extra`` is what the training stage kept beside the weights (the vocabulary's path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from reviewgen.data.tokens import BOS_ID
from reviewgen.inference.decoding import autoregress, open_export


class OnnxCharLM:
    def __init__(self, folder: str | Path, threads: int = 1):
        self.meta, sessions = open_export(folder, ("step",), threads)
        self.extra: dict[str, Any] = self.meta["extra"]
        self.session = sessions["step"]

    def sample(self, n: int, max_len: int, temperature: float, rng: np.random.Generator) -> list[list[int]]:
        """``n`` sequences of character ids, each to ``<eos>`` or ``max_len`` ids."""
        if self.meta["kind"] == "window":
            return self._sample_window(n, max_len, temperature, rng)
        names = self.meta["state"]
        state = [np.zeros((self.meta["layers"], n, self.meta["hidden"]), dtype=np.float32) for _ in names]

        def step(previous: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
            nonlocal state
            if keep is not None:
                state = [tensor[:, keep] for tensor in state]
            logits, *state = self.session.run(None, {"previous": previous, **dict(zip(names, state, strict=True))})
            return logits

        return autoregress(step, n, max_len, temperature, rng)

    def _sample_window(self, n: int, max_len: int, temperature: float, rng: np.random.Generator) -> list[list[int]]:
        window = np.full((n, self.meta["order"] - 1), BOS_ID, dtype=np.int64)

        def step(previous: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
            nonlocal window
            window = window if keep is None else window[keep]
            # The first call brings one more <bos>, which leaves the all-<bos> window unchanged.
            window = np.concatenate([window[:, 1:], previous[:, None]], axis=1)
            return self.session.run(None, {"window": window})[0]

        return autoregress(step, n, max_len, temperature, rng)
