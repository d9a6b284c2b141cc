"""Tiny processed data for the training stages, made with the library's own data steps."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from reviewgen.data.features import fetch_features
from reviewgen.data.join import join_reviews
from reviewgen.data.reviews import fetch_reviews
from reviewgen.data.sentences import split_reviews
from reviewgen.data.vocab import build_vocabs
from reviewgen.io import write_parquet

FEATURES = ["energy", "valence", "danceability", "tempo"]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> dict[str, Path]:
    """Sentences and vocabularies from 80 synthetic reviews, as the pipeline writes them."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tiny_data")
    fetched = fetch_reviews({"source": "synthetic", "path": None, "columns": {}, "feature_columns": {},
                             "max_chars": 50000, "synthetic": {"n_reviews": 80, "seed": 3}})
    features, _ = fetch_features({"source": "synthetic", "names": FEATURES, "csv_path": None, "spotify": {}},
                                 fetched.reviews, fetched.source_features)
    joined, _ = join_reviews(fetched.reviews, features, FEATURES, keep_missing=False)
    sentences, _ = split_reviews(joined, {"splitter": "trained", "lowercase": True, "tokenizer": "treebank",
                                          "min_tokens": 3, "max_tokens": 60, "valid_fraction": 0.15,
                                          "test_fraction": 0.15, "seed": 1})
    words, chars, _ = build_vocabs(sentences, {"min_freq": 1, "max_size": 5000, "char_min_freq": 1})
    paths = {"sentences": root / "sentences.parquet", "words": root / "words.json", "chars": root / "chars.json"}
    write_parquet(paths["sentences"], sentences)
    words.save(paths["words"])
    chars.save(paths["chars"])
    return paths


@pytest.fixture
def tracking_store(tmp_path, monkeypatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri
