"""The sentence VAE's homotopies from its ONNX export (``models.sentence_vae_onnx``), for
``reviewgen interpolate``.

A sentence is encoded to its posterior mean, the path between two means is walked as the report walks
it (``evaluation.interpolation``), and every point is decoded greedily, as ``SentenceVAE.decode_greedy``
decodes it (``inference.decoding``: the same loop). ``extra`` is what the training stage kept beside the
weights: the vocabulary's path and the length cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reviewgen.evaluation.interpolation import interpolate
from reviewgen.inference.decoding import autoregress, open_export


class OnnxSentenceVAE:
    def __init__(self, folder: str | Path, threads: int = 1):
        meta, self.sessions = open_export(folder, ("encode", "start", "step"), threads)
        self.states: list[str] = meta["states"]
        self.latent: int = meta["latent"]
        self.extra: dict[str, Any] = meta["extra"]

    def encode(self, ids: Sequence[int]) -> np.ndarray:
        """The posterior mean ``[latent]`` of one sentence's word ids (``<eos>`` included)."""
        return self.sessions["encode"].run(None, {"tokens": np.array([ids], dtype=np.int64)})[0][0]

    def greedy(self, z: np.ndarray, max_len: int) -> list[list[int]]:
        """The greedy decoding of each row of ``z [N, latent]``, without ``<bos>``/``<eos>``."""
        z = np.ascontiguousarray(z, dtype=np.float32)
        state = self.sessions["start"].run(None, {"z": z})

        def step(previous: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
            nonlocal z, state
            if keep is not None:
                z, state = z[keep], [part[:, keep] for part in state]
            logits, *state = self.sessions["step"].run(
                None, {"previous": previous, "z": z} | dict(zip(self.states, state, strict=True)))
            return logits

        return autoregress(step, len(z), max_len, 0.0, None)

    def homotopy(self, ids0: Sequence[int], ids1: Sequence[int], steps: int, method: str,
                 max_len: int) -> list[list[int]]:
        """The word ids decoded at ``steps`` points from the code of one sentence to the code of the other."""
        return self.greedy(interpolate(self.encode(ids0), self.encode(ids1), steps, method), max_len)
