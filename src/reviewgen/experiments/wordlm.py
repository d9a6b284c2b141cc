"""The energy-conditioned word LSTM language model: track features concatenated to every embedding.

If conditioning helps, test perplexity is lowest with each review's true features, higher with the
features shuffled across reviews, higher with every feature set to a constant (the train mean), and
higher than the marginal likelihood over K feature vectors drawn from training (the honest "no
information" baseline, ``evaluation.conditioning``). On the synthetic corpus the gain over that baseline
is compared with the oracle gain the generator's planted probabilities allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from reviewgen.config import ConfigError, get
from reviewgen.data.detokenize import decode_text
from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.tokens import PAD_ID
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.conditioning import marginal_draws, marginal_nll, oracle_gain_nats
from reviewgen.experiments.common import setup_runtime, train_settings
from reviewgen.experiments.lm_data import SPLITS, sequence_batches, token_loss
from reviewgen.experiments.runner import Experiment, Fitted, Outcome
from reviewgen.io import read_json
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.models.wordlm_onnx import export_wordlm_onnx
from reviewgen.training.batching import lm_inputs_targets, pad_batch
from reviewgen.training.trainer import StepOutput, TrainConfig


@dataclass
class Split:
    seqs: list[list[int]]
    features: np.ndarray  # raw feature values, one row per sequence
    review_ids: list[str]
    tokens: list[list[str]]  # the words behind ``seqs`` (before the vocabulary maps rare ones to <unk>)


def word_splits(sentences: pd.DataFrame, vocab: Vocab, unit: str, names: list[str], max_tokens: int
                ) -> dict[str, Split]:
    """Each split as token-id sequences (one per sentence, or one per review) with their features."""
    missing = [n for n in names if n not in sentences.columns]
    if missing:
        raise ConfigError(f"params: wordlm.data.features {missing} are not columns of the sentences table")
    splits = {}
    for split in SPLITS:
        part = sentences[sentences["split"] == split]
        if unit == "review":
            part = part.sort_values(["review_id", "position"])
            grouped = part.groupby("review_id", sort=True)
            tokens = grouped["tokens"].agg(lambda lists: [t for toks in lists for t in toks])
            rows = grouped[names].first().loc[tokens.index].to_numpy(dtype=np.float64)
            ids = tokens.index.tolist()
            token_lists = tokens.tolist()
        else:
            token_lists = part["tokens"].tolist()
            rows = part[names].to_numpy(dtype=np.float64)
            ids = part["review_id"].tolist()
        kept = [[str(t) for t in toks][:max_tokens] for toks in token_lists]
        splits[split] = Split([vocab.encode(toks) for toks in kept], rows, ids, kept)
    return splits


def shuffled_across_reviews(split: Split, seed: int) -> np.ndarray:
    """Features with each review's row replaced by another review's (a seeded permutation of reviews)."""
    first_row: dict[str, np.ndarray] = {}
    for rid, row in zip(split.review_ids, split.features, strict=True):
        first_row.setdefault(rid, row)
    reviews = sorted(first_row)
    permuted = np.random.default_rng(seed).permutation(len(reviews))
    donor = {rid: first_row[reviews[j]] for rid, j in zip(reviews, permuted, strict=True)}
    return np.stack([donor[rid] for rid in split.review_ids])


def sequence_logprobs(model: ConditionedWordLM, seqs: list[list[int]], feature_sets: list[np.ndarray],
                      batch_size: int, device: torch.device) -> np.ndarray:
    """``[len(feature_sets), len(seqs)]``: ``log p(<bos> seq <eos>)`` of every sequence under each set of
    (scaled) feature rows, in input order; one pass over the sequences for all the sets."""
    model.eval()
    out = np.zeros((len(feature_sets), len(seqs)))
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    sets = [torch.as_tensor(np.asarray(rows), dtype=torch.float32) for rows in feature_sets]
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            padded = pad_batch([[1, *seqs[i], 2] for i in indices])[0]
            inputs, targets = lm_inputs_targets(padded)
            inputs, targets = inputs.to(device), targets.to(device)
            batch_sets = [rows[indices].to(device) for rows in sets]
            if model.condition_input:
                logp = torch.stack([target_logprobs(model(inputs, rows)[0], targets) for rows in batch_sets])
            else:
                biases = torch.stack([model.feature_bias(rows) for rows in batch_sets])
                logp = biased_target_logprobs(model.unconditioned_logits(inputs), biases, targets)
            out[:, indices] = logp.cpu().numpy()
    return out


def target_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[B]``: the summed log-probability of each row's non-pad ``targets [B, T]`` under ``logits [B, T, V]``."""
    nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD_ID,
                          reduction="none")
    return -nll.view(targets.shape).sum(dim=1)


def biased_target_logprobs(base: torch.Tensor, biases: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[K, B]``: ``target_logprobs(base + biases[k][:, None, :], targets)`` for every bias set ``k``.

    ``base [B, T, V]`` logits, ``biases [K, B, V]`` one offset per word and row. The K log-normalisers share
    one exponential of the base: ``log sum_v exp(base_v + bias_v) = log(exp(base - a) . exp(bias - b)) + a + b``
    with ``a``, ``b`` the maxima, a batched matrix product instead of K log-softmaxes over ``[B, T, V]``.
    """
    k = biases.shape[0]
    valid = targets != PAD_ID
    safe = targets.masked_fill(~valid, 0)  # any word: masked out below
    peak = base.amax(dim=-1, keepdim=True)  # [B, T, 1]
    shift = biases.amax(dim=-1, keepdim=True)  # [K, B, 1]
    sums = torch.bmm(torch.exp(base - peak), torch.exp(biases - shift).permute(1, 2, 0))  # [B, T, K]
    log_norm = sums.log() + peak + shift.permute(1, 2, 0)
    per_row_bias = biases.permute(1, 0, 2).gather(2, safe[:, None, :].expand(-1, k, -1)).transpose(1, 2)
    target_logit = base.gather(-1, safe[..., None]) + per_row_bias  # [B, T, K]
    return ((target_logit - log_norm) * valid[..., None]).sum(dim=1).T


def held_out_metrics(model: ConditionedWordLM, split: Split, train_rows: np.ndarray, scaler: FeatureScaler,
                 truth: dict[str, Any], k: int, batch_size: int, seed: int, device: torch.device) -> dict[str, Any]:
    """Perplexity of ``split`` with its true features, shuffled across reviews, constant (the train mean)
    and marginalised over ``k`` training draws; the gain over the marginal and, on synthetic data, the
    oracle gain and the model's share of it. All from one pass over the sequences."""
    n = len(split.seqs)
    draws = marginal_draws(train_rows, k, seed)
    variants = [split.features, shuffled_across_reviews(split, seed), np.tile(scaler.mean, (n, 1)),
                *(np.tile(row, (n, 1)) for row in draws)]
    logp = sequence_logprobs(model, split.seqs, [scaler.transform(rows) for rows in variants], batch_size, device)
    n_tokens = sum(len(s) + 1 for s in split.seqs)
    true_nll, shuffled_nll, constant_nll = (-logp[:3]).sum(axis=1)
    nll = marginal_nll(logp[3:])
    test_ppl, shuffled_ppl = float(np.exp(true_nll / n_tokens)), float(np.exp(shuffled_nll / n_tokens))
    gain = float((nll - true_nll) / n_tokens)
    metrics: dict[str, Any] = {
        "test_perplexity": test_ppl, "test_perplexity_shuffled": shuffled_ppl,
        "test_perplexity_constant": float(np.exp(constant_nll / n_tokens)),
        "conditioning_gain": shuffled_ppl - test_ppl, "test_perplexity_marginal": float(np.exp(nll / n_tokens)),
        "marginal_draws": k, "conditioning_gain_nats": gain,
    }
    oracle = oracle_gain_nats(split.tokens, split.features, draws, truth, scaler.names)
    if oracle is not None:
        metrics["conditioning_oracle_nats"] = oracle / n_tokens
        metrics["conditioning_captured"] = gain / (oracle / n_tokens) if oracle > 0 else None
    return metrics


def conditioned_step(model: torch.nn.Module, batch: tuple, ctx: Any) -> StepOutput:
    inputs, targets, features = batch
    logits, _ = model(inputs, features)
    out = token_loss(logits, targets)
    if ctx is not None and ctx.training:
        # The prior shapes training only: validation and test losses stay plain per-token NLL.
        out.loss = out.loss + model.condition_penalty()
    return out


def experiment(cfg: dict[str, Any], sentences: Path, vocab_path: Path, truth_path: Path,
               onnx_out: Path | None = None) -> Experiment:
    section, name = cfg["wordlm"], "wordlm"
    data_cfg = section["data"]
    names = [str(n) for n in get(data_cfg, "features", list, "wordlm.data")]
    unit = get(data_cfg, "unit", str, "wordlm.data", choices=("sentence", "review"))
    runtime = setup_runtime(cfg["runtime"])
    vocab = Vocab.load(vocab_path)
    frame = pd.read_parquet(sentences)
    splits = word_splits(frame, vocab, unit, names, get(data_cfg, "max_tokens", int, "wordlm.data", minimum=2))
    scaler = FeatureScaler.fit(names, splits["train"].features)
    batch_size = get(section, "batch_size", int, "wordlm", minimum=1)
    # The test split is read by the evaluation alone (held_out_metrics).
    batches = {s: sequence_batches(splits[s].seqs, batch_size, scaler.transform(splits[s].features))
               for s in ("train", "valid")}
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where="wordlm.train")
    hparams = {"vocab_size": len(vocab), "n_features": len(names), **section["model"]}

    def evaluate(fitted: Fitted) -> Outcome:
        model, device = fitted.model, fitted.device
        metrics = {"features": names, "unit": unit, "valid_perplexity": float(np.exp(fitted.best_row["valid_loss"])),
                   "device": str(device)}
        k = get(section["evaluation"], "marginal_draws", int, "wordlm.evaluation", minimum=1)
        # Evaluation needs no gradients, so wider batches only save time.
        metrics |= held_out_metrics(model, splits["test"], splits["train"].features, scaler, read_json(truth_path), k,
                                4 * batch_size, config.seed, device)
        extra = {"vocab": str(vocab_path), "features": scaler.to_json(),
                 "feature_medians": np.median(splits["train"].features, axis=0).tolist(),
                 # The CLI refuses conditioning values outside what training saw.
                 "feature_train_range": [np.min(splits["train"].features, axis=0).tolist(),
                                         np.max(splits["train"].features, axis=0).tolist()]}
        samples = sample_text(model, vocab, scaler, extra["feature_medians"], section["sampling"], config.seed)
        if onnx_out is not None:
            export_wordlm_onnx(model, extra, onnx_out)
        return Outcome(metrics, samples, extra)

    return Experiment(
        name=name, family="wordlm", kind="wordlm", hparams=hparams,
        params={"wordlm": section, "runtime": cfg["runtime"]}, inputs=[sentences, vocab_path],
        evaluate=evaluate, device=runtime.device, config=config, step=conditioned_step,
        train_batches=batches["train"][0], valid_batches=batches["valid"][1],
    )


def sample_text(model: ConditionedWordLM, vocab: Vocab, scaler: FeatureScaler, medians: list[float],
                sampling: dict[str, Any], seed: int) -> str:
    """Samples at each configured value of the first feature, the others at their train median."""
    per = get(sampling, "per_value", int, "wordlm.sampling", minimum=1)
    temperature = get(sampling, "temperature", float, "wordlm.sampling", minimum=0.0)
    max_len = get(sampling, "max_len", int, "wordlm.sampling", minimum=1)
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    lines = [f"# wordlm: samples at temperature {temperature}"]
    for value in get(sampling, "values", list, "wordlm.sampling"):
        row = scaler.row(medians, **{scaler.names[0]: float(value)})
        rows = torch.as_tensor(np.tile(row, (per, 1)), dtype=torch.float32)
        lines.append(f"\n## {scaler.names[0]} = {value}")
        lines += [decode_text(vocab, ids) for ids in model.sample(rows, max_len, temperature, generator)]
    return "\n".join(lines) + "\n"
