"""The neural models of the pipeline as benchmark cases: data, a batch maker and a loss, per model.

A case's ``make(indices, width)`` pads to the batch's longest sequence (``width=None``, what the
pipeline's length-bucketed batches do) or to ``width`` (the naive baseline's corpus-wide longest). Its
``loss`` returns the loss to backpropagate and the summed nll and token count behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from reviewgen.data.charcodec import CharCodec
from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.tenses import TENSES, build_tense_data
from reviewgen.data.tokens import EOS_ID
from reviewgen.data.vocab import Vocab, build_vocabs
from reviewgen.experiments.lm_data import token_loss
from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.sentence_vae import SentenceVAE
from reviewgen.models.tense_cvae import TenseCVAE
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.training.batching import lm_inputs_targets, pad_batch
from reviewgen.training.runtime import seed_everything


@dataclass
class Case:
    name: str
    model: torch.nn.Module
    lengths: list[int]  # what bucketing sorts by
    width: int  # the naive baseline pads every batch to this: the corpus' longest sequence
    batch_size: int
    lr: float
    make: Callable[[list[int], int | None], tuple]
    loss: Callable[[torch.nn.Module, tuple], tuple[torch.Tensor, float, int]]
    # The word LM's feature scaler and vocabulary: what sampling at a given energy needs.
    scaler: FeatureScaler | None = None
    vocab: Vocab | None = None


def _widen(ids: torch.Tensor, width: int | None) -> torch.Tensor:
    return ids if width is None else F.pad(ids, (0, width - ids.size(1)))


def _lm_case(name: str, model: torch.nn.Module, seqs: list[list[int]], section: dict[str, Any],
             features: torch.Tensor | None = None) -> Case:
    full = [[1, *s, 2] for s in seqs]

    def make(indices: list[int], width: int | None) -> tuple:
        inputs, targets = lm_inputs_targets(pad_batch([full[i] for i in indices], pad_to=width)[0])
        return (inputs, targets) if features is None else (inputs, targets, features[indices])

    def loss(model: torch.nn.Module, batch: tuple) -> tuple[torch.Tensor, float, int]:
        logits, _ = model(*[batch[0], *batch[2:]])
        out = token_loss(logits, batch[1])
        return out.loss, float(out.loss.detach()) * out.weight, int(out.weight)

    lengths = [len(s) for s in full]
    return Case(name, model, lengths, max(lengths), section["batch_size"], section["train"]["lr"], make, loss)


def _vae_loss(free_bits: float):
    def loss(model: torch.nn.Module, batch: tuple) -> tuple[torch.Tensor, float, int]:
        logits, mu, logvar = model(*batch[:-1])
        target = batch[-1]
        value, _, sums = model.loss(logits, target, mu, logvar, 1.0, free_bits)
        return value, sums["nll"], sums["tokens"]
    return loss


def _seeded(model_class: type[torch.nn.Module], *args: Any, **kwargs: Any) -> torch.nn.Module:
    """The model built right after seeding, so every run starts from the same weights."""
    seed_everything(0)
    return model_class(*args, **kwargs)


def build_cases(params: dict[str, Any], sentences: pd.DataFrame, pool: int) -> list[Case]:
    """One case per neural model, each on a pool of (up to) ``pool`` train sequences.

    The models are those of the default scale: vocabularies from as many reviews as the default corpus
    holds (``reviews.synthetic.n_reviews``), not from the whole benchmark corpus, whose four times
    larger word vocabulary would make the word models' read-out, and so every figure, four times larger.
    """
    n_reviews = params["reviews"]["synthetic"]["n_reviews"]
    sentences = sentences[sentences["review_id"].isin(sentences["review_id"].drop_duplicates().head(n_reviews))]
    train = sentences[sentences["split"] == "train"].sample(frac=1.0, random_state=0).head(pool)
    words, chars, _ = build_vocabs(sentences, params["vocab"])
    cases = []
    char_seqs = [chars.encode(list(t)) for t in train["text"]]
    for arch in ("rnn", "gru", "lstm"):
        section = params["charlm"][arch]
        model = _seeded(CharRNNLM, len(chars), arch, **section["model"])
        cases.append(_lm_case(f"charlm-{arch}", model, char_seqs, section))
    cases.append(_wordlm_case(params["wordlm"], train, words))
    cases.append(_sentence_vae_case(params["sentence_vae"], train, words))
    cases.append(_tense_case(params, pool))
    return cases


def _wordlm_case(section: dict[str, Any], train: pd.DataFrame, words: Vocab) -> Case:
    names = section["data"]["features"]
    raw = train[names].to_numpy(dtype=np.float64)
    scaler = FeatureScaler.fit(names, raw)
    features = torch.as_tensor(scaler.transform(raw), dtype=torch.float32)
    seqs = [words.encode(list(t)[: section["data"]["max_tokens"]]) for t in train["tokens"]]
    model = _seeded(ConditionedWordLM, len(words), len(names), **section["model"])
    case = _lm_case("wordlm", model, seqs, section, features)
    case.scaler, case.vocab = scaler, words
    return case


def _sentence_vae_case(section: dict[str, Any], train: pd.DataFrame, words: Vocab) -> Case:
    seqs = [[*words.encode(list(t)), EOS_ID] for t in train["tokens"] if len(t) <= section["max_tokens"]]

    def make(indices: list[int], width: int | None) -> tuple:
        ids, lengths = pad_batch([seqs[i] for i in indices], pad_to=width)
        return ids, lengths, ids

    model = _seeded(SentenceVAE, len(words), **section["model"])
    lengths = [len(s) for s in seqs]
    return Case("sentence_vae", model, lengths, max(lengths), section["batch_size"], section["train"]["lr"],
                make, _vae_loss(section["free_bits"]))


def _tense_case(params: dict[str, Any], pool: int) -> Case:
    section = params["tense"]
    rows = build_tense_data(params["tense_data"]).train
    codec = CharCodec.from_words(w for row in rows for w in row)
    # Every verb in every tense, its target a seeded random tense of the same verb (tense.data.mode: cross).
    rng = np.random.default_rng(0)
    targets = rng.integers(len(TENSES), size=len(rows) * len(TENSES)).tolist()
    sources = [(row, s) for row in rows for s in range(len(TENSES))]
    examples = [(row[s], s, row[t], t) for (row, s), t in zip(sources, targets, strict=True)]
    examples = [examples[i] for i in rng.permutation(len(examples))[:pool]]

    def make(indices: list[int], width: int | None) -> tuple:
        src, src_len = codec.batch([examples[i][0] for i in indices])
        tgt, _ = codec.batch([examples[i][2] for i in indices])
        tenses = torch.tensor([[examples[i][1], examples[i][3]] for i in indices])
        return _widen(src, width), src_len, tenses[:, 0], _widen(tgt, width), tenses[:, 1], _widen(tgt, width)

    model = _seeded(TenseCVAE, len(codec), n_tenses=len(TENSES), **section["model"])
    # Bucketed by source length, as in training; the naive width fits the longest source or target.
    return Case("tense_cvae", model, [len(e[0]) + 1 for e in examples],
                max(max(len(e[0]), len(e[2])) + 1 for e in examples), section["batch_size"],
                section["train"]["lr"], make, _vae_loss(section["free_bits"]))
