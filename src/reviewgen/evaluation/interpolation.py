"""Homotopies without the model: the path between two latent codes (numpy), sentences read the way the
pipeline reads them, and the rows that lay a homotopy out. The report (``reports.homotopy``, through
torch) and ``reviewgen interpolate`` (through the model's ONNX export, without torch) share them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from reviewgen.io import get_logger

if TYPE_CHECKING:
    from reviewgen.data.vocab import Vocab

log = get_logger("evaluation.interpolation")
METHODS = ("linear", "slerp")


@functools.cache
def _tokenizer():
    from reviewgen.data.sentences import make_tokenizer

    return make_tokenizer("treebank")


def tokenize(sentence: str) -> list[str]:
    """The tokens the pipeline gives ``sentence`` (``split_sentences`` lower-cases, then tokenises)."""
    return _tokenizer()(sentence.lower())


def encode_words(vocab: Vocab, sentences: Sequence[str]) -> tuple[list[list[int]], list[int]]:
    """Each sentence's word ids + ``<eos>``, as in training, and its count of out-of-vocabulary tokens.

    Unknown words become ``<unk>`` with a warning; an empty sentence is a ``ValueError``.
    """
    encoded, oov_counts = [], []
    for index, sentence in enumerate(sentences):
        tokens = tokenize(sentence)
        if not tokens:
            raise ValueError(f"sentence {index + 1} is empty ({sentence!r}): give at least one word")
        unknown = [token for token in tokens if token not in vocab]
        if unknown:
            log.warning("sentence %d has %d word(s) not in the vocabulary, read as <unk>: %s",
                        index + 1, len(unknown), ", ".join(sorted(set(unknown))))
        oov_counts.append(len(unknown))
        encoded.append(vocab.encode(tokens, add_eos=True))
    return encoded, oov_counts


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, method: str = "linear") -> np.ndarray:
    """``[steps, D]`` points from ``z0`` to ``z1``, both included exactly, in their dtype.

    ``slerp`` follows the great circle between the two directions (White 2016): under a Gaussian prior
    nearly all mass lies near one radius, and the straight line between two codes cuts through the
    less likely region inside it. Near-parallel codes fall back to the straight line.
    """
    if steps < 2:
        raise ValueError(f"a homotopy needs at least 2 steps (its two ends), got {steps}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    z0, z1 = np.asarray(z0), np.asarray(z1)
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(f"z0 and z1 must be vectors of one shape, got {z0.shape} and {z1.shape}")
    t = np.linspace(0.0, 1.0, steps, dtype=z0.dtype)[:, None]
    a, b = 1 - t, t
    if method == "slerp":
        norms = max(float(np.linalg.norm(z0) * np.linalg.norm(z1)), 1e-12)
        omega = np.arccos(np.clip(np.dot(z0, z1) / norms, -1.0, 1.0))
        if np.sin(omega) > 1e-6:
            a, b = np.sin((1 - t) * omega) / np.sin(omega), np.sin(t * omega) / np.sin(omega)
    points = (a * z0 + b * z1).astype(z0.dtype)
    # Rounding in the weights would otherwise move the ends slightly off the codes they stand for.
    points[0], points[-1] = z0, z1
    return points


def homotopy_rows(s0: str, s1: str, decoded: Sequence[str]) -> list[tuple[str, str]]:
    """``(label, text)`` rows laying out a homotopy: ``s0``, ``z0``, the inner points by their fraction
    ``t`` of the way, ``z1``, ``s1``."""
    last = len(decoded) - 1
    inner = [(f"t={step / last:.2f}", text) for step, text in enumerate(decoded[1:-1], start=1)]
    return [("s0", s0), ("z0", decoded[0]), *inner, ("z1", decoded[-1]), ("s1", s1)]
