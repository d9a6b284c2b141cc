"""Throughput of the data stages on a synthetic corpus: sentence splitting and vocabulary building."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reviewgen.bench.timing import Row, median_seconds
from reviewgen.data.sentences import split_reviews
from reviewgen.data.synthetic import FEATURES, generate_corpus
from reviewgen.data.vocab import build_vocabs


def bench_data(params: dict[str, Any], n_reviews: int, repeats: int) -> tuple[list[Row], pd.DataFrame]:
    """Rows for the two stages, and the split sentences (the training benchmarks learn from them)."""
    corpus = generate_corpus(n_reviews, seed=13)
    # With each track's features, as the join stage leaves them: the word LM is conditioned on them.
    features = corpus.tracks[["track_id", *FEATURES]]
    reviews = corpus.reviews.drop(columns="sentences").merge(features, on="track_id", how="left")
    cfg = params["sentences"]
    # Punkt trains anew on every call, so the warm-up is a small slice: it only loads code and compiles regexes.
    split_reviews(reviews.head(200), cfg)
    result: dict[str, Any] = {}

    def split() -> None:
        result["sentences"] = split_reviews(reviews, cfg)[0]

    split_s = median_seconds(split, repeats, warmup=0)
    sentences = result["sentences"]
    vocab_s = median_seconds(lambda: build_vocabs(sentences, params["vocab"]), repeats)
    chars = int(reviews["text"].str.len().sum())
    rows = [
        Row("data", "split_sentences", {"reviews": n_reviews, "seconds": split_s, "reviews_per_s": n_reviews / split_s,
                                        "chars_per_s": chars / split_s},
            note=f"Punkt trained on <= {cfg.get('punkt_train_chars')} chars; target >= 2,000 reviews/s"),
        Row("data", "build_vocab", {"reviews": n_reviews, "seconds": vocab_s, "reviews_per_s": n_reviews / vocab_s,
                                    "sentences_per_s": len(sentences) / vocab_s}),
    ]
    return rows, sentences
