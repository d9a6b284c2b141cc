"""The maximum-likelihood character n-gram: counts in numpy, no torch.

It sees a sequence as ``[<bos>] * (order - 1) + ids + [<eos>]`` and predicts every id after the padding
from the ``order - 1`` ids before it, as the feed-forward n-gram network (``models.ngram``) does, so their
cross-entropies are directly comparable (and comparable with the RNNs, which also predict every
character plus ``<eos>``). ``reviewgen sample`` draws from it without importing torch: the training stage
writes the counts as an ``.npz`` file beside the model file (:meth:`CharNGramCounts.save_arrays`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reviewgen.data.tokens import BOS_ID, EOS_ID
from reviewgen.io import atomic_path


def ngram_windows(seqs: Sequence[Sequence[int]], order: int) -> np.ndarray:
    """Every (context, next id) pair of ``seqs`` as rows ``[N, order]``: ``order - 1`` ids, then the next.

    Built with one concatenation and one fancy index, so a few MB of text takes well under a second.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    pad = order - 1
    padded = [np.asarray([BOS_ID] * pad + list(s) + [EOS_ID], dtype=np.int64) for s in seqs]
    if not padded:
        return np.zeros((0, order), dtype=np.int64)
    flat = np.concatenate(padded)
    starts = np.cumsum([0] + [len(p) for p in padded[:-1]])
    # Targets are every position after a sequence's own padding, so no window crosses two sequences.
    targets = np.concatenate([np.arange(s + pad, s + len(p)) for s, p in zip(starts, padded, strict=True)])
    return flat[targets[:, None] + np.arange(-pad, 1)]


def _sort_rows(rows: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """The lexicographic sort order of ``rows`` (ids < ``base``), and a mask of the sorted rows that
    differ from their predecessor (the first row of each distinct value).

    A row packed into one integer in base ``base`` sorts like the row itself, and one integer sort is
    cheaper than ``np.lexsort`` over the columns (let alone ``np.unique(axis=0)``), which sorts once per
    column; lexsort is only the fallback for rows too long to pack into 63 bits.
    """
    width = rows.shape[1]
    if base**width < 2**63:
        keys = rows @ (base ** np.arange(width - 1, -1, -1, dtype=np.int64))
        order = np.argsort(keys)
        keys = keys[order]
        return order, np.r_[True, keys[1:] != keys[:-1]]
    order = np.lexsort(rows.T[::-1])  # lexsort's last key is the primary one
    ordered = rows[order]
    return order, np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]


def _count_rows(
    rows: np.ndarray, base: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows, sorted lexicographically, and how often each occurs (summing ``weights`` if given)."""
    order, first = _sort_rows(rows, base)
    first = np.flatnonzero(first)
    weights = np.ones(len(rows), dtype=np.int64) if weights is None else weights[order]
    return rows[order[first]], np.add.reduceat(weights, first)


def _lookup(rows: np.ndarray, counts: np.ndarray, queries: np.ndarray, base: int) -> np.ndarray:
    """The summed count of each query row in the table (``rows``, ``counts``); 0 for rows not in it."""
    if rows.shape[1] == 0:  # the empty context: every query matches it
        return np.full(len(queries), counts.sum(), dtype=np.int64)
    # Sorting table and queries together gives equal rows the same group id, without a Python loop.
    order, first = _sort_rows(np.concatenate([rows, queries]), base)
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(first) - 1
    by_id = np.bincount(ids[: len(rows)], weights=counts, minlength=int(ids.max()) + 1)
    return by_id[ids[len(rows) :]].astype(np.int64)


class CharNGramCounts:
    """Maximum-likelihood n-gram model: P(c | context) = count(context, c) / count(context).

    ``log_prob_next`` and ``sample`` use the unsmoothed estimate. A context never seen in training has
    no estimate; only there (it can happen only with a caller-supplied context, since sampling from
    seen n-grams always reaches seen contexts) it backs off to the longest seen suffix of the context.
    ``cross_entropy_bits`` scores held-out text with add-k smoothing instead, which never backs off.
    """

    def __init__(self, order: int, vocab_size: int):
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order = order
        self.vocab_size = vocab_size
        # For each context length 0..order-1: the distinct (context, next) rows in lexicographic order,
        # stored column by column (so a column slice is contiguous for searchsorted), and their counts.
        self._tables: list[tuple[list[np.ndarray], np.ndarray]] = []

    def fit(self, seqs: Sequence[Sequence[int]]) -> CharNGramCounts:
        if len(seqs) == 0:
            raise ValueError("no sequences to fit")
        windows = ngram_windows(seqs, self.order)
        if windows.min() < 0 or windows.max() >= self.vocab_size:
            raise ValueError(f"ids must lie in [0, vocab_size={self.vocab_size})")
        self._set_counts(*_count_rows(windows, self.vocab_size))
        return self

    def _set_counts(self, ngrams: np.ndarray, counts: np.ndarray) -> None:
        """Derive every shorter-context table from the full-order counts by summing over dropped ids."""
        self._tables = []
        for context_len in range(self.order):
            rows, row_counts = _count_rows(ngrams[:, self.order - 1 - context_len :], self.vocab_size, counts)
            self._tables.append((list(np.ascontiguousarray(rows.T)), row_counts))

    def _check_fitted(self) -> None:
        if not self._tables:
            raise RuntimeError("the n-gram model has no counts: call fit() first")

    def _full_order(self) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        columns, counts = self._tables[-1]
        return np.stack(columns, axis=1), counts

    def _continuations(self, context: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Next ids seen after ``context`` and their counts (both empty for an unseen context).

        The rows are sorted, so the rows starting with ``context`` are one range, narrowed one column
        at a time by binary search: microseconds even with millions of n-grams.
        """
        columns, counts = self._tables[len(context)]
        lo, hi = 0, len(counts)
        for column, value in zip(columns, context, strict=False):
            part = column[lo:hi]
            lo, hi = lo + np.searchsorted(part, value, "left"), lo + np.searchsorted(part, value, "right")
        return columns[-1][lo:hi], counts[lo:hi]

    def log_prob_next(self, context: Sequence[int]) -> np.ndarray:
        """Natural-log MLE probabilities ``[V]`` of the next id after ``context`` (-inf for unseen ids).

        ``context`` is the history so far without the ``<bos>`` padding (which is added here); only its
        last ``order - 1`` ids matter.
        """
        self._check_fitted()
        pad = self.order - 1
        history = ([BOS_ID] * pad + list(context))[-pad:] if pad else []
        for context_len in range(pad, -1, -1):  # the empty context (unigrams) is always seen
            ids, counts = self._continuations(history[pad - context_len :])
            if len(ids):
                break
        log_probs = np.full(self.vocab_size, -np.inf)
        log_probs[ids] = np.log(counts / counts.sum())
        return log_probs

    def cross_entropy_bits(self, seqs: Sequence[Sequence[int]], k: float) -> float:
        """Bits per predicted id (every character and each ``<eos>``) under add-k smoothing.

        P(c | context) = (count(context, c) + k) / (count(context) + k * V). ``k = 0`` is the raw MLE
        and gives ``inf`` as soon as one held-out n-gram was never seen.
        """
        ngrams, counts = self._full_order()
        windows = ngram_windows(seqs, self.order)
        if len(windows) == 0:
            raise ValueError("no sequences to score")
        joint = _lookup(ngrams, counts, windows, self.vocab_size)
        marginal = _lookup(ngrams[:, :-1], counts, windows[:, :-1], self.vocab_size)
        with np.errstate(divide="ignore", invalid="ignore"):
            probs = (joint + k) / (marginal + k * self.vocab_size)
            nats = -np.log(probs)
        if not np.all(np.isfinite(nats)):
            return math.inf
        return float(nats.sum() / len(windows) / math.log(2))

    def sample(self, n: int, max_len: int, temperature: float, rng: np.random.Generator) -> list[list[int]]:
        """``n`` sequences drawn from the unsmoothed model, each stopped at ``<eos>`` or ``max_len`` ids.

        ``temperature`` 0 is greedy, as for the neural models.
        """
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        out = []
        for _ in range(n):
            seq: list[int] = []
            while len(seq) < max_len:
                log_probs = self.log_prob_next(seq)
                if temperature == 0:
                    nxt = int(log_probs.argmax())
                else:
                    probs = np.exp((log_probs - log_probs.max()) / temperature)
                    nxt = int(rng.choice(self.vocab_size, p=probs / probs.sum()))
                if nxt == EOS_ID:
                    break
                seq.append(nxt)
            out.append(seq)
        return out

    def state_dict(self) -> dict:
        """Only the full-order counts, as tensors (order and vocabulary size are constructor arguments,
        as a network's hyperparameters are): every shorter-order table is derived from them on load."""
        import torch  # the model file is a torch file like every other model's; sampling needs no torch

        ngrams, counts = self._full_order()
        return {"ngrams": torch.from_numpy(ngrams), "counts": torch.from_numpy(counts.copy())}

    def load_state_dict(self, state: dict) -> None:
        """Restore the counts of :meth:`state_dict` (tensors or arrays), as ``nn.Module.load_state_dict``
        restores weights."""
        ngrams, counts = (np.asarray(state[key], dtype=np.int64) for key in ("ngrams", "counts"))
        if ngrams.ndim != 2 or ngrams.shape[1] != self.order or len(ngrams) != len(counts):
            raise ValueError(f"counts {ngrams.shape} and {counts.shape} do not fit an order-{self.order} model")
        if len(ngrams) and (ngrams.min() < 0 or ngrams.max() >= self.vocab_size):
            raise ValueError(f"ids must lie in [0, vocab_size={self.vocab_size})")
        self._set_counts(ngrams, counts)

    def save_arrays(self, path: str | Path, vocab: str) -> None:
        """The counts, the order, the vocabulary size and the vocabulary's path as one ``.npz`` file:
        what ``reviewgen sample`` loads without torch (:meth:`load_arrays`). Written atomically."""
        ngrams, counts = self._full_order()
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            np.savez(handle, ngrams=ngrams, counts=counts, order=self.order, vocab_size=self.vocab_size,
                     vocab=np.array(vocab))

    @classmethod
    def load_arrays(cls, path: str | Path) -> tuple[CharNGramCounts, str]:
        """The model of :meth:`save_arrays` and its vocabulary's path."""
        with np.load(path, allow_pickle=False) as arrays:
            model = cls(int(arrays["order"]), int(arrays["vocab_size"]))
            model.load_state_dict(arrays)
            return model, str(arrays["vocab"])
