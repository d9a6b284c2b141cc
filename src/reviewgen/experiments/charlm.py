"""Character language models on review sentences: a count n-gram, a feed-forward n-gram network, a
hand-written RNN, and nn.RNN / nn.GRU / nn.LSTM, all with the same data, evaluation and samples.

Each stage is an :class:`~reviewgen.experiments.runner.Experiment` that the runner trains."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from reviewgen.config import ConfigError, get
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.metrics import bits_per_char
from reviewgen.experiments.common import setup_runtime, train_settings
from reviewgen.experiments.lm_data import char_splits, held_out_nll, sequence_batches, token_loss, window_batches
from reviewgen.experiments.runner import Experiment, Fitted, Outcome
from reviewgen.models.charlm_onnx import export_charlm_onnx
from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.ngram import FeedForwardNGramLM
from reviewgen.models.ngram_counts import CharNGramCounts
from reviewgen.training.streams import StreamStep, stream_batches, stream_tokens
from reviewgen.training.trainer import StepOutput, TrainConfig, TrainResult

# The cells an architecture is built from; an architecture named after one needs no `cell:` key.
CELLS = ("ffngram", "hand", "rnn", "gru", "lstm")
BATCHING = ("stream", "sentence")  # TBPTT over one stream of all sentences | padded sentence batches


def rnn_step(model: CharRNNLM, batch: tuple, ctx: Any) -> StepOutput:
    inputs, targets = batch
    logits, _ = model(inputs)
    return token_loss(logits, targets)


def window_step(model: FeedForwardNGramLM, batch: tuple, ctx: Any) -> StepOutput:
    contexts, targets = batch
    return token_loss(model(contexts), targets)


class TimedBatches:
    """Wraps ``train_batches`` to time each epoch's training pass (first batch drawn to the last step
    done), so throughput leaves out validation and checkpointing."""

    def __init__(self, batches: Callable[[int, torch.Generator], Iterator]):
        self.batches, self.seconds = batches, 0.0
        self.epochs = 0

    def __call__(self, epoch: int, generator: torch.Generator) -> Iterator:
        started = time.perf_counter()
        yield from self.batches(epoch, generator)
        self.seconds += time.perf_counter() - started
        self.epochs += 1


def load_data(cfg: dict[str, Any], sentences: Path, vocab_path: Path) -> tuple[Vocab, dict, dict]:
    data_cfg = cfg["charlm.data"]
    max_train = get(data_cfg, "max_train_sentences", int, "charlm.data", default=None, minimum=1)
    vocab = Vocab.load(vocab_path)
    splits, left_out = char_splits(
        pd.read_parquet(sentences, columns=["text", "split"]), vocab,
        max_chars=get(data_cfg, "max_chars", int, "charlm.data", minimum=1),
        max_train=max_train, seed=get(data_cfg, "seed", int, "charlm.data"),
    )
    return vocab, splits, left_out


def format_samples(name: str, vocab: Vocab, by_temperature: dict[float, list[list[int]]]) -> str:
    lines = [f"# {name}: samples from <bos> until <eos>"]
    for temperature, samples in by_temperature.items():
        lines.append(f"\n## temperature {temperature}")
        lines += [vocab.spell(ids) for ids in samples]
    return "\n".join(lines) + "\n"


def sampling_settings(cfg: dict[str, Any]) -> tuple[list[float], int, int]:
    section = cfg["charlm.sampling"]
    temperatures = [float(t) for t in get(section, "temperatures", list, "charlm.sampling")]
    per = get(section, "per_temperature", int, "charlm.sampling", minimum=1)
    return temperatures, per, get(section, "max_len", int, "charlm.sampling", minimum=1)


def neural_experiment(arch: str, cfg: dict[str, Any], sentences: Path, vocab_path: Path,
                      onnx_out: Path | None = None) -> Experiment:
    """One neural character LM, trained by the runner; its evaluation is held-out bits per character.
    With ``onnx_out`` the kept weights are also exported there (``reviewgen sample`` runs them)."""
    name, where = f"charlm-{arch}", f"charlm.{arch}"
    section = cfg[where]
    runtime = setup_runtime(cfg["runtime"])
    vocab, splits, left_out = load_data(cfg, sentences, vocab_path)
    batch_size = get(section, "batch_size", int, where, minimum=1)
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where=f"{where}.train")
    if "cell" not in section and arch not in CELLS:
        raise ConfigError(f"params: '{where}' needs a cell (one of {', '.join(CELLS)})")
    cell = get(section, "cell", str, where, default=arch, choices=CELLS)
    if cell == "ffngram":
        kind, step, hparams = "ffngram", window_step, {"vocab_size": len(vocab), **section["model"]}
        batches = {s: window_batches(splits[s], hparams["order"], batch_size) for s in splits}
        train_tokens = sum(len(seq) + 1 for seq in splits["train"])  # one window per target
    else:
        kind, step, hparams = "charlm", rnn_step, {"vocab_size": len(vocab), "cell": cell, **section["model"]}
        batches = {s: sequence_batches(splits[s], batch_size) for s in splits}
        train_tokens = sum(len(seq) + 1 for seq in splits["train"])
        if get(section, "batching", str, where, default="sentence", choices=BATCHING) == "stream":
            bptt = get(section, "bptt", int, where, minimum=1)
            step = StreamStep(token_loss, rnn_step)
            # Held-out splits stay whole sentences from a zero state, scored like the count n-gram.
            batches["train"] = (stream_batches(splits["train"], batch_size, bptt), None)
            train_tokens = stream_tokens(splits["train"], batch_size)
    timed = TimedBatches(batches["train"][0])
    # How batches are formed changes what an epoch computes, so a checkpoint of another layout is stale.
    layout = {k: section[k] for k in ("batch_size", "batching", "bptt") if k in section}

    def evaluate(fitted: Fitted) -> Outcome:
        model = fitted.model
        test_nll, test_chars = held_out_nll(model, step, batches["test"][1], fitted.device)
        metrics = {
            "valid_bits_per_char": bits_per_char(fitted.best_row["valid_loss"], 1),
            "test_bits_per_char": bits_per_char(test_nll, int(test_chars)),
            "train_sentences": len(splits["train"]), "train_tokens_per_epoch": int(train_tokens),
            # Only epochs trained in this process are timed: a resumed run times what it ran.
            "train_tokens_per_second": train_tokens * timed.epochs / timed.seconds if timed.seconds else None,
            "left_out": left_out, "device": str(fitted.device),
        }
        temperatures, per, max_len = sampling_settings(cfg)
        generator = torch.Generator(fitted.device).manual_seed(config.seed)
        samples = {t: model.sample(per, max_len, t, generator=generator) for t in temperatures}
        extra = {"vocab": str(vocab_path)}
        if onnx_out is not None:
            export_charlm_onnx(model, extra, onnx_out)
        return Outcome(metrics, format_samples(name, vocab, samples), extra=extra)

    return Experiment(
        name=name, family="charlm", kind=kind, hparams=hparams,
        params={key: cfg[key] for key in ("charlm.data", "charlm.sampling", where, "runtime")},
        inputs=[sentences, vocab_path], evaluate=evaluate, device=runtime.device, config=config, step=step,
        train_batches=timed, valid_batches=batches["valid"][1], fingerprint={**hparams, "layout": layout},
    )


def count_experiment(cfg: dict[str, Any], sentences: Path, vocab_path: Path,
                     counts_out: Path | None = None) -> Experiment:
    """The maximum-likelihood character n-gram: counted, not trained; evaluated with add-k smoothing.
    With ``counts_out`` the counts are also written there as arrays (``reviewgen sample`` reads them)."""
    section, name = cfg["charlm.ngram"], "charlm-ngram"
    order = get(section, "order", int, "charlm.ngram", minimum=1)
    add_k = get(section, "add_k", float, "charlm.ngram", minimum=0.0)
    vocab, splits, left_out = load_data(cfg, sentences, vocab_path)

    def fit(model: CharNGramCounts) -> TrainResult:
        started = time.perf_counter()
        model.fit(splits["train"])
        seconds = time.perf_counter() - started
        row = {"epoch": 1, "train_bits_per_char": model.cross_entropy_bits(splits["train"], k=0.0),
               "valid_bits_per_char": model.cross_entropy_bits(splits["valid"], k=add_k), "seconds": seconds}
        return TrainResult(history=[row], best_epoch=None, best_monitor=row["valid_bits_per_char"],
                           resumed_from_epoch=None, stopped_early=False, best_state=None)

    def evaluate(fitted: Fitted) -> Outcome:
        model, counted = fitted.model, fitted.best_row
        metrics = {
            "parameters": int(model.state_dict()["counts"].numel()),  # one count per distinct n-gram
            "valid_bits_per_char": counted["valid_bits_per_char"],
            # Counting is its training: every n-gram of the train split, once.
            "train_tokens_per_second": (sum(len(s) + 1 for s in splits["train"]) / counted["seconds"]
                                        if counted["seconds"] else None),
            "test_bits_per_char": model.cross_entropy_bits(splits["test"], k=add_k),
            "train_sentences": len(splits["train"]), "left_out": left_out, "device": "cpu",
        }
        temperatures, per, max_len = sampling_settings(cfg)
        rng = np.random.default_rng(get(cfg["charlm.data"], "seed", int, "charlm.data"))
        samples = {t: model.sample(per, max_len, t, rng) for t in temperatures}
        if counts_out is not None:
            model.save_arrays(counts_out, str(vocab_path))
        return Outcome(metrics, format_samples(name, vocab, samples), extra={"vocab": str(vocab_path)})

    return Experiment(
        name=name, family="charlm", kind="ngram-counts", hparams={"order": order, "vocab_size": len(vocab)},
        params={key: cfg[key] for key in ("charlm.data", "charlm.sampling", "charlm.ngram")},
        inputs=[sentences, vocab_path], evaluate=evaluate, fit=fit,
    )
