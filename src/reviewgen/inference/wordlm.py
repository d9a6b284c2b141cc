"""The word LM's samples from its ONNX export (``models.wordlm_onnx``), for ``reviewgen sample``.

Each row is sampled as ``ConditionedWordLM.sample`` samples it (``inference.decoding``: the same loop,
numpy's generator). ``extra`` is what the training stage kept beside the weights: the vocabulary's path,
the feature scaler, the feature medians and the range of the features seen in training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from reviewgen.inference.decoding import autoregress, open_export


class OnnxWordLM:
    def __init__(self, folder: str | Path, threads: int = 1):
        meta, sessions = open_export(folder, ("step",), threads)
        self.layers, self.hidden, self.n_features = meta["layers"], meta["hidden"], meta["n_features"]
        self.extra: dict[str, Any] = meta["extra"]
        self.session = sessions["step"]

    def sample(self, features: np.ndarray, max_len: int, temperature: float,
               rng: np.random.Generator) -> list[list[int]]:
        """One sequence of word ids per row of ``features [N, F]``, each to ``<eos>`` or ``max_len``."""
        features = np.asarray(features, dtype=np.float32)
        h = c = np.zeros((self.layers, len(features), self.hidden), dtype=np.float32)

        def step(previous: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
            nonlocal features, h, c
            if keep is not None:
                features, h, c = features[keep], h[:, keep], c[:, keep]
            logits, h, c = self.session.run(None, {"previous": previous, "features": features, "h": h, "c": c})
            return logits

        return autoregress(step, len(features), max_len, temperature, rng)
