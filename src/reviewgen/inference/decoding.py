"""The sampling loop of ``models.sampling`` in numpy, for the models run from their ONNX export.

The same rules as there: every row starts from ``<bos>`` and stops at its first ``<eos>`` or after
``max_len`` ids; ``<pad>`` and ``<bos>`` are never drawn; temperature 0 is greedy; a finished row
leaves the batch. Draws come from numpy's generator, so a seed repeats here, not torch's draws.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from reviewgen.data.tokens import BOS_ID, EOS_ID, PAD_ID


def open_export(folder: str | Path, names: tuple[str, ...],
                threads: int) -> tuple[dict[str, Any], dict[str, ort.InferenceSession]]:
    """An export folder's ``meta.json`` and one onnxruntime session per graph ``<name>.onnx`` in ``names``,
    on the CPU with ``threads`` threads."""
    folder = Path(folder)
    options = ort.SessionOptions()
    # A command decodes a few rows at a time: a second thread mostly waits to be scheduled.
    options.intra_op_num_threads = options.inter_op_num_threads = threads
    sessions = {name: ort.InferenceSession(str(folder / f"{name}.onnx"), options, providers=["CPUExecutionProvider"])
                for name in names}
    return json.loads((folder / "meta.json").read_text()), sessions


def next_ids(logits: np.ndarray, temperature: float, rng: np.random.Generator | None) -> np.ndarray:
    """One id per row of ``logits [B, V]`` from softmax(logits / temperature), by an inverse-CDF draw."""
    scaled = logits.astype(np.float64) / (temperature or 1.0)
    scaled[:, [PAD_ID, BOS_ID]] = -np.inf
    if temperature == 0:
        return scaled.argmax(axis=1)
    weights = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    cdf = weights.cumsum(axis=1)
    u = rng.random((len(cdf), 1)) * cdf[:, -1:]
    # The first id whose cumulative weight exceeds u (counting those at or below it): never one of zero
    # probability (<pad>, <bos>), even when u is 0.
    return np.minimum((cdf <= u).sum(axis=1), cdf.shape[1] - 1)


def autoregress(step: Callable[[np.ndarray, np.ndarray | None], np.ndarray], n: int, max_len: int,
                temperature: float, rng: np.random.Generator | None) -> list[list[int]]:
    """``n`` sequences; ``step(previous ids [m], keep) -> logits [m, V]`` keeps its own state and narrows
    it to the rows ``keep`` (None: all) before it runs. The ids exclude ``<bos>`` and ``<eos>``."""
    out: list[list[int]] = [[] for _ in range(n)]
    rows, previous, keep = np.arange(n), np.full(n, BOS_ID, dtype=np.int64), None
    for _ in range(max_len):
        previous = next_ids(step(previous, keep), temperature, rng)
        running = previous != EOS_ID
        for row, ident in zip(rows[running], previous[running], strict=True):
            out[row].append(int(ident))
        keep = None if running.all() else np.flatnonzero(running)
        if keep is not None:
            rows, previous = rows[keep], previous[keep]
            if not len(rows):
                break
    return out
