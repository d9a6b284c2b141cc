"""Which words does the conditioned word LM use for high versus low feature values, and do they match
the words planted in the synthetic corpus?

The flow: ``sample_words`` for a high and a low feature vector -> ``content_words`` -> ``count_words``
per side -> ``compare_counts`` (smoothed log-odds ratio) -> ``recovery_scores`` against the truth. The
tables and word clouds people read are drawn by ``reports.tables`` and ``reports.plots``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

# A content word starts with a letter: this drops punctuation and every token that starts with a digit,
# so scores ("8.5"), counts, BPM values and decades ("1990s", "90s", "'90s") all go. Decades do carry
# meaning, but they are rare and split three ways, and the question here is descriptive vocabulary.
_WORD = re.compile(r"^[^\W\d_]")
# Pieces the Treebank tokenizer splits contractions into ("can't" -> "ca n't", "gonna" -> "gon na")
# that are not words of their own; the clitics "'s", "'re", ... already fail the starts-with-a-letter test.
TOKENIZER_FRAGMENTS = frozenset({"n't", "ca", "wo", "gon", "na", "wan", "ta"})


def content_words(token_lists: Iterable[Sequence[str]], stopwords: Iterable[str]) -> list[str]:
    """Lower-cased tokens in order, minus stopwords, specials such as ``<unk>``, tokenizer fragments
    and anything that does not start with a letter (punctuation, numbers)."""
    dropped = {w.lower() for w in stopwords} | TOKENIZER_FRAGMENTS
    words = []
    for tokens in token_lists:
        for token in tokens:
            word = token.lower()
            if word not in dropped and _WORD.match(word):
                words.append(word)
    return words


def count_words(words: Iterable[str]) -> pd.DataFrame:
    """``word, count, frequency`` (share of all words), by count descending, then word."""
    counts = Counter(words)
    total = sum(counts.values())
    frame = pd.DataFrame(sorted(counts.items(), key=lambda item: (-item[1], item[0])), columns=["word", "count"])
    frame["count"] = frame["count"].astype("int64")
    frame["frequency"] = frame["count"] / total if total else pd.Series(dtype="float64")
    return frame


def compare_counts(high: pd.DataFrame, low: pd.DataFrame, prior: float = 0.5) -> pd.DataFrame:
    """Log-odds ratio of every word seen on either side, high versus low, with a flat Dirichlet prior.

    Monroe, Colaresi & Quinn (2008, "Fightin' Words", eq. 16 and 18) with ``alpha_w = prior`` for each of
    the V words in the union and ``alpha_0 = prior * V``; ``y`` the counts and ``n`` the side totals::

        log_odds_w = log((y_w^hi + a_w) / (n^hi + a_0 - y_w^hi - a_w)) - log(same for lo)
        z_w        = log_odds_w / sqrt(1 / (y_w^hi + a_w) + 1 / (y_w^lo + a_w))

    That is the add-``prior`` smoothed log odds ratio: a word seen on one side only gets a finite value
    with the sign of that side. ``log_odds`` is the effect size; ``z`` also weighs the evidence (a word
    seen 200 times beats one seen twice at the same ratio). Sorted by ``log_odds`` descending, then word.
    """
    if prior <= 0:
        raise ValueError(f"prior must be > 0, got {prior}")
    merged = pd.merge(high[["word", "count"]], low[["word", "count"]], on="word", how="outer",
                      suffixes=("_high", "_low"))
    merged[["count_high", "count_low"]] = merged[["count_high", "count_low"]].fillna(0).astype("int64")
    alpha_0 = prior * len(merged)
    y_hi, y_lo = merged["count_high"] + prior, merged["count_low"] + prior
    n_hi, n_lo = merged["count_high"].sum() + alpha_0, merged["count_low"].sum() + alpha_0
    merged["log_odds"] = np.log(y_hi / (n_hi - y_hi)) - np.log(y_lo / (n_lo - y_lo))
    merged["z"] = merged["log_odds"] / (1 / y_hi + 1 / y_lo) ** 0.5
    merged = merged.sort_values(["log_odds", "word"], ascending=[False, True], ignore_index=True)
    return merged[["word", "count_high", "count_low", "log_odds", "z"]]


def recovery_scores(comparison: pd.DataFrame, truth: dict, feature: str = "energy", top_n: int = 50,
                    by: str = "log_odds") -> dict:
    """How well a ranking of ``comparison`` recovers the words planted for ``feature`` in the synthetic corpus.

    Over the planted words of ``feature``'s groups (``{feature}_high``, ``{feature}_low``) that occur in
    ``comparison``:

    - ``spearman``: rank correlation of each word's affinity ``truth["words"][w][feature]`` with its
      score (column ``by``). With affinities of only +1 and -1 (as planted) the ties cap it below 1 even for a perfect
      split, hence also
    - ``auc``: share of (high word, low word) pairs where the high word scores higher (ties
      count half); 1 is a perfect split, 0.5 chance.
    - ``top_share``: share of planted high words among the ``top_n`` best-scoring words, against
      ``baseline_share``, what a random ranking would give: planted high words seen / words seen.

    ``by`` names the score column that ranks the words: ``log_odds`` (effect size), or ``z`` from
    ``compare_counts``. With a flat prior of 0.5 the top of the log-odds ranking fills with rare words
    seen on one side only (names, say), while ``z`` weighs the evidence, so on the synthetic corpus it
    ranks many more of the planted words at the top.

    Undefined correlations (fewer than two words, or constant values) are ``None``, so the dict stays JSON.
    """
    high_group, low_group = f"{feature}_high", f"{feature}_low"
    groups = {w: info["group"] for w, info in truth["words"].items()}
    ranked = comparison.sort_values([by, "word"], ascending=[False, True], ignore_index=True)
    planted = ranked[ranked["word"].map(groups.get).isin([high_group, low_group])]
    affinity = planted["word"].map(lambda w: float(truth["words"][w][feature]))
    spearman = affinity.corr(planted[by], method="spearman") if len(planted) > 1 else math.nan

    is_high = planted["word"].map(groups.get) == high_group
    high_scores, low_scores = planted.loc[is_high, by].tolist(), planted.loc[~is_high, by].tolist()
    pairs = [(h > lo) + 0.5 * (h == lo) for h in high_scores for lo in low_scores]

    top = ranked.head(top_n)
    n_high_seen = len(high_scores)
    return {
        "feature": feature,
        "ranked_by": by,
        "spearman": None if math.isnan(spearman) else float(spearman),
        "auc": sum(pairs) / len(pairs) if pairs else None,
        "top_n": top_n,
        "top_share": float((top["word"].map(groups.get) == high_group).mean()) if len(top) else None,
        "baseline_share": n_high_seen / len(ranked) if len(ranked) else None,
        "n_planted": sum(g in (high_group, low_group) for g in groups.values()),
        "n_planted_found": len(planted),
        "n_high_found": n_high_seen,
        "n_low_found": len(low_scores),
        "n_words_seen": len(ranked),
    }


def sample_words(model, vocab, features, n_words: int, batch_size: int, max_len: int,
                 temperature: float, generator: torch.Generator | None) -> list[list[list[str]]]:
    """For each row of ``features [K, F]``: sentences sampled from ``model`` (a ``ConditionedWordLM``)
    at that feature vector until they hold at least ``n_words`` tokens; sentences beyond are not returned.

    All rows share each batch (at most ``batch_size`` sequences per row), so a high and a low side cost
    one sampling loop, not two. The first batch cannot overshoot (no sample is longer than ``max_len``);
    later ones hold about what a row still misses, from its mean length so far plus a fifth for the
    spread. (Full batches sampled up to twice the words asked for.)

    Every decoded token counts (punctuation and stopwords too, ``<unk>`` kept): the sample then costs
    the same for both sides of a comparison, whatever the stopword list, and ``content_words`` filters
    later. Raises if a row's batch comes back empty, which would otherwise loop forever.
    """
    if n_words < 1 or batch_size < 1:
        raise ValueError(f"n_words and batch_size must be >= 1, got {n_words} and {batch_size}")
    rows = torch.as_tensor(features, dtype=torch.float32)
    if rows.dim() != 2:
        raise ValueError(f"features must be [rows, n_features], got shape {list(rows.shape)}")
    sentences: list[list[list[str]]] = [[] for _ in range(len(rows))]
    totals = [0] * len(rows)
    sizes = [min(batch_size, math.ceil(n_words / max_len))] * len(rows)
    while missing := [i for i, total in enumerate(totals) if total < n_words]:
        batch = torch.cat([rows[i].expand(sizes[i], -1) for i in missing])
        samples = iter(model.sample(batch, max_len, temperature, generator))
        for i in missing:
            part = [vocab.decode(next(samples)) for _ in range(sizes[i])]
            if not any(part):
                raise RuntimeError(f"a batch of {sizes[i]} samples held no tokens; the model only emits <eos>")
            for tokens in part:
                sentences[i].append(tokens)
                totals[i] += len(tokens)
                if totals[i] >= n_words:
                    break
            mean_length = totals[i] / len(sentences[i])
            sizes[i] = min(batch_size, math.ceil(1.2 * (n_words - totals[i]) / mean_length) + 1)
    return sentences
