"""Character language models on review sentences: a count n-gram, a feed-forward n-gram network, a
hand-written RNN, and nn.RNN / nn.GRU / nn.LSTM, all with the same data, evaluation and samples."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from reviewgen.config import get
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.metrics import bits_per_char
from reviewgen.experiments.common import (
    StageOutputs,
    count_parameters,
    finish_stage,
    mean_epoch_seconds,
    setup_runtime,
    tracked_run,
    train_settings,
)
from reviewgen.experiments.lm_data import char_splits, held_out_nll, sequence_batches, token_loss, window_batches
from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.ngram import CharNGramCounts, FeedForwardNGramLM
from reviewgen.models.registry import save_model
from reviewgen.training.runtime import seed_everything
from reviewgen.training.streams import StreamStep, stream_batches, stream_tokens
from reviewgen.training.trainer import StepOutput, TrainConfig, Trainer

NEURAL_ARCHS = ("ffngram", "hand", "rnn", "gru", "lstm")
BATCHING = ("stream", "sentence")  # TBPTT over one stream of all sentences | padded sentence batches


def rnn_step(model: torch.nn.Module, batch: tuple, ctx: Any) -> StepOutput:
    inputs, targets = batch
    logits, _ = model(inputs)
    return token_loss(logits, targets)


def window_step(model: torch.nn.Module, batch: tuple, ctx: Any) -> StepOutput:
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
        lines += ["".join(vocab.decode(ids)) for ids in samples]
    return "\n".join(lines) + "\n"


def sampling_settings(cfg: dict[str, Any]) -> tuple[list[float], int, int]:
    section = cfg["charlm.sampling"]
    temperatures = [float(t) for t in get(section, "temperatures", list, "charlm.sampling")]
    per = get(section, "per_temperature", int, "charlm.sampling", minimum=1)
    return temperatures, per, get(section, "max_len", int, "charlm.sampling", minimum=1)


def train_neural(arch: str, cfg: dict[str, Any], sentences: Path, vocab_path: Path,
                 outputs: StageOutputs) -> dict[str, Any]:
    """Train one neural character LM with the shared Trainer; returns its metrics."""
    name, where = f"charlm-{arch}", f"charlm.{arch}"
    section = cfg[where]
    runtime = setup_runtime(cfg["runtime"])
    vocab, splits, left_out = load_data(cfg, sentences, vocab_path)
    batch_size = get(section, "batch_size", int, where, minimum=1)
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where=f"{where}.train")
    if arch == "ffngram":
        kind, step, hparams = "ffngram", window_step, {"vocab_size": len(vocab), **section["model"]}
        batches = {s: window_batches(splits[s], hparams["order"], batch_size) for s in splits}
        train_tokens = sum(len(seq) + 1 for seq in splits["train"])  # one window per target
    else:
        kind, step, hparams = "charlm", rnn_step, {"vocab_size": len(vocab), "cell": arch, **section["model"]}
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

    seed_everything(config.seed)  # before building the model, so its initial weights repeat
    model = FeedForwardNGramLM(**hparams) if kind == "ffngram" else CharRNNLM(**hparams)
    trainer = Trainer(model, config, outputs.checkpoint, step, timed, batches["valid"][1],
                      hparams={**hparams, "layout": layout}, log_name=name)
    params = {key: cfg[key] for key in ("charlm.data", "charlm.sampling", where, "runtime")}
    with tracked_run(family="charlm", name=name, params=params, inputs=[sentences, vocab_path],
                     device=runtime.device, resume_run_id=trainer.resume_run_id()) as run:
        trainer.tracker = run
        result = trainer.fit()
        model.load_state_dict(result.best_state)
        test_nll, test_chars = held_out_nll(model, step, batches["test"][1], trainer.device)
        metrics = {
            "model": name, "parameters": count_parameters(model), "epochs": len(result.history),
            "best_epoch": result.best_epoch, "seconds_per_epoch": mean_epoch_seconds(result.history),
            "valid_bits_per_char": bits_per_char(result.best_valid_loss, 1),
            "test_bits_per_char": bits_per_char(test_nll, int(test_chars)),
            "train_sentences": len(splits["train"]), "train_tokens_per_epoch": int(train_tokens),
            # Only epochs trained in this process are timed: a resumed run times what it ran.
            "train_tokens_per_second": train_tokens * timed.epochs / timed.seconds if timed.seconds else None,
            "left_out": left_out, "device": str(trainer.device),
        }
        save_model(outputs.model, kind, hparams, model, extra={"vocab": str(vocab_path), "metrics": metrics})
        temperatures, per, max_len = sampling_settings(cfg)
        generator = torch.Generator(trainer.device).manual_seed(config.seed)
        samples = {t: model.sample(per, max_len, t, generator=generator) for t in temperatures}
        finish_stage(run, outputs, metrics=metrics, history=result.history,
                     samples=format_samples(name, vocab, samples))
    return metrics


def train_counts(cfg: dict[str, Any], sentences: Path, vocab_path: Path, outputs: StageOutputs) -> dict[str, Any]:
    """The maximum-likelihood character n-gram: counted, not trained; evaluated with add-k smoothing."""
    section, name = cfg["charlm.ngram"], "charlm-ngram"
    order = get(section, "order", int, "charlm.ngram", minimum=1)
    add_k = get(section, "add_k", float, "charlm.ngram", minimum=0.0)
    vocab, splits, left_out = load_data(cfg, sentences, vocab_path)
    params = {key: cfg[key] for key in ("charlm.data", "charlm.sampling", "charlm.ngram")}
    with tracked_run(family="charlm", name=name, params=params, inputs=[sentences, vocab_path],
                     device="cpu") as run:
        started = time.perf_counter()
        model = CharNGramCounts(order, len(vocab)).fit(splits["train"])
        seconds = time.perf_counter() - started
        history = [{
            "epoch": 1, "train_bits_per_char": model.cross_entropy_bits(splits["train"], k=0.0),
            "valid_bits_per_char": model.cross_entropy_bits(splits["valid"], k=add_k), "seconds": seconds,
        }]
        run.log_metrics({k: v for k, v in history[0].items() if k != "epoch"}, step=1)
        metrics = {
            "model": name, "parameters": int(model.state_dict()["counts"].numel()), "epochs": 1,
            "seconds_per_epoch": seconds, "valid_bits_per_char": history[0]["valid_bits_per_char"],
            # Counting is its training: every n-gram of the train split, once.
            "train_tokens_per_second": sum(len(s) + 1 for s in splits["train"]) / seconds if seconds else None,
            "test_bits_per_char": model.cross_entropy_bits(splits["test"], k=add_k),
            "train_sentences": len(splits["train"]), "left_out": left_out, "device": "cpu",
        }
        save_model(outputs.model, "ngram-counts", {"order": order, "vocab_size": len(vocab)}, model,
                   extra={"vocab": str(vocab_path), "metrics": metrics})
        temperatures, per, max_len = sampling_settings(cfg)
        rng = np.random.default_rng(get(cfg["charlm.data"], "seed", int, "charlm.data"))
        samples = {t: model.sample(per, max_len, t, rng) for t in temperatures}
        finish_stage(run, outputs, metrics=metrics, history=history,
                     samples=format_samples(name, vocab, samples))
    return metrics
