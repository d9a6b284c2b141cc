"""The tense CVAE's conversions and generations from its ONNX export (``models.tense_onnx``).

``reviewgen tense`` answers from here: ``onnxruntime`` and numpy load in a fraction of torch's import
time, and a word converts in milliseconds. The decoding is the model's own greedy decoding
(``TenseCVAE.convert`` and ``generate``), through ``inference.decoding``. Noise for generation comes
from numpy's generator, so a seed gives the same verbs here every time (not the draws torch's would).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reviewgen.data.charcodec import CharCodec
from reviewgen.inference.decoding import autoregress, open_export


class OnnxTense:
    def __init__(self, folder: str | Path, threads: int = 1):
        meta, self.sessions = open_export(folder, ("read", "start", "step"), threads)
        self.codec = CharCodec(meta["chars"])
        self.tenses: list[str] = meta["tenses"]
        self.states: list[str] = meta["states"]
        self.latent: int = meta["latent"]
        self.memory_size: int = meta["memory_size"]
        prior = np.load(Path(folder) / "prior.npz")
        self.prior_mu, self.prior_logvar = prior["mu"], prior["logvar"]

    def greedy(self, z: np.ndarray, tense: np.ndarray, memory: np.ndarray | None = None,
               max_len: int = 20) -> list[list[int]]:
        """Each row of ``z`` decoded in its tense; with ``memory`` (one word's character states, each row
        its own) attending to it, without it with the attention path hidden, as from noise."""
        n = len(z)
        context, *state = self.sessions["start"].run(None, {"z": z.astype(np.float32), "tense": tense})
        attend = np.full(n, memory is not None)
        if memory is None:  # a placeholder the hidden attention path reads nothing from
            memory = np.zeros((n, 1, self.memory_size), dtype=np.float32)
        mask = np.ones(memory.shape[:2], dtype=bool)

        def step(previous: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
            nonlocal context, memory, mask, attend, state
            if keep is not None:
                context, memory, mask, attend = (part[keep] for part in (context, memory, mask, attend))
                state = [part[:, keep] for part in state]
            feed = {"previous": previous, "context": context, "memory": memory, "mask": mask, "attend": attend}
            logits, *state = self.sessions["step"].run(None, feed | dict(zip(self.states, state, strict=True)))
            return logits

        return autoregress(step, n, max_len, 0.0, None)

    def convert(self, word: str, source: int, target: int, max_len: int = 20) -> str:
        """``word`` (in tense ``source``) rewritten in tense ``target``, from its posterior mean."""
        mu, memory = self.sessions["read"].run(None, {"chars": np.array([self.codec.encode(word)], dtype=np.int64),
                                                      "tense": np.array([source], dtype=np.int64)})
        return self.codec.decode(self.greedy(mu, np.array([target], dtype=np.int64), memory, max_len)[0])

    def sample_prior(self, n: int, rng: np.random.Generator, standard: bool = True) -> np.ndarray:
        """``n`` codes from N(0, I), or from the aggregate prior (the training posteriors' mixture)."""
        eps = rng.standard_normal((n, self.latent)).astype(np.float32)
        if standard:
            return eps
        k = rng.integers(len(self.prior_mu), size=n)
        return self.prior_mu[k] + np.exp(0.5 * self.prior_logvar[k]) * eps

    def generate_four_tenses(self, n: int, rng: np.random.Generator, standard: bool = True,
                             max_len: int = 20) -> list[tuple[str, ...]]:
        """``n`` codes, each decoded in every tense: one tuple of words per code."""
        z = self.sample_prior(n, rng, standard)
        forms = [self.greedy(z, np.full(n, tense, dtype=np.int64), max_len=max_len)
                 for tense in range(len(self.tenses))]
        return [tuple(self.codec.decode(ids) for ids in row) for row in zip(*forms, strict=True)]
