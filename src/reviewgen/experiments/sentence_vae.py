"""The sentence VAE (Bowman et al. 2016) on review sentences: trained with KL annealing, word dropout and
free bits so that it does not collapse; reports NLL, KL, ELBO, perplexity, the importance-weighted NLL and
active units, next to an LSTM language model trained and tested on exactly the same sentences (same
vocabulary, same length cut), the yardstick the ELBO perplexity is read against.

Li et al. 2019's fix is on by default: ``pretrain.epochs`` epochs at KL weight 0 (an autoencoder) come
first, then the decoder is reset and the KL schedule starts. Validation always scores the true ELBO
(weight 1, no free bits), so the kept epoch is the best model, not the one trained with the lightest
penalty, and each epoch also records the reconstruction BLEU of a fixed set of validation sentences."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from reviewgen.config import get
from reviewgen.data.detokenize import decode_text
from reviewgen.data.tokens import EOS_ID
from reviewgen.data.vocab import Vocab
from reviewgen.experiments.common import kl_annealing, setup_runtime, train_settings
from reviewgen.experiments.lm_data import SPLITS, bucketed, held_out_nll, sequence_batches, token_loss
from reviewgen.experiments.runner import Experiment, Fitted, Outcome
from reviewgen.models.sentence_vae import SentenceVAE
from reviewgen.models.sentence_vae_onnx import export_sentence_vae_onnx
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.training.batching import pad_batch
from reviewgen.training.runtime import seed_everything
from reviewgen.training.trainer import StepOutput, TrainConfig, Trainer, to_device

OBJECTIVE_KEYS = ("kl", "free_bits", "free_bits_per_example", "pretrain", "batch_size", "max_tokens")


def sentence_splits(sentences: pd.DataFrame, vocab: Vocab, max_tokens: int) -> tuple[dict, int]:
    """Each split's sentences as ``ids + <eos>``; sentences longer than ``max_tokens`` are left out."""
    splits, too_long = {}, 0
    for split in SPLITS:
        tokens = sentences.loc[sentences["split"] == split, "tokens"].tolist()
        kept = [list(t) for t in tokens if len(t) <= max_tokens]
        too_long += len(tokens) - len(kept)
        splits[split] = [[*vocab.encode(t), EOS_ID] for t in kept]
    return splits, too_long


def vae_batches(seqs: list[list[int]], batch_size: int):
    return bucketed([len(s) for s in seqs], batch_size, lambda idx: pad_batch([seqs[i] for i in idx]))


def make_step(free_bits: float, per_example: bool = False):
    """Training minimises the annealed, floored objective; validation scores the true negative ELBO."""
    def step(model: SentenceVAE, batch: tuple, ctx: Any) -> StepOutput:
        tokens, lengths = batch
        logits, mu, logvar = model(tokens, lengths)
        kl = ctx.state["kl"]
        if ctx.training:
            loss, weight, sums = model.loss(logits, tokens, mu, logvar, kl.value, free_bits, per_example)
            kl.step()
        else:
            loss, weight, sums = model.loss(logits, tokens, mu, logvar, 1.0)
        return StepOutput(loss, weight, {"nll": sums["nll"], "kl": sums["kl"], "tokens": sums["tokens"]})
    return step


def decoder_reset(after_epochs: int):
    """The trainer's ``epoch_start``: a fresh decoder for the first epoch after the autoencoder phase."""
    def start(epoch: int, model: SentenceVAE) -> list:
        return model.reset_decoder() if after_epochs > 0 and epoch == after_epochs + 1 else []
    return start


@torch.no_grad()
def reconstruction_bleu(model: SentenceVAE, seqs: list[list[int]], device: torch.device, max_len: int) -> float:
    """Mean word BLEU-4 of the greedy decoding of each sentence's posterior mean against the sentence,
    on word ids (``<unk>`` counts as a word, as the homotopy report reads sentences the vocabulary's way)."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    model.eval()
    tokens, lengths = to_device(pad_batch(seqs), device)
    decoded = model.decode_greedy(model.encode(tokens, lengths), max_len)
    smooth = SmoothingFunction().method1
    scores = [sentence_bleu([seq[:-1]], hyp, smoothing_function=smooth) if hyp else 0.0
              for seq, hyp in zip(seqs, decoded, strict=True)]
    return float(sum(scores) / len(scores))


@torch.no_grad()
def evaluate_elbo(model: SentenceVAE, batches, device: torch.device, iw_samples: int = 0,
             seed: int = 0) -> dict[str, float]:
    """The true ELBO (KL weight 1) on held-out sentences, per sentence, the active latent units, and with
    ``iw_samples`` > 0 the importance-weighted NLL and the perplexity it gives."""
    model.eval()
    nll = kl = tokens = sentences = iw = 0.0
    means = []
    generator = torch.Generator().manual_seed(seed)
    for batch in batches():
        ids, lengths = to_device(batch, device)
        logits, mu, logvar = model(ids, lengths)
        _, weight, sums = model.loss(logits, ids, mu, logvar, 1.0)
        nll, kl, tokens, sentences = nll + sums["nll"], kl + sums["kl"], tokens + sums["tokens"], sentences + weight
        if iw_samples > 0:
            iw += float(model.iw_nll(ids, lengths, iw_samples, generator).sum())
        means.append(mu)
    scores = {
        "test_nll": nll / sentences, "test_kl": kl / sentences, "test_elbo": -(nll + kl) / sentences,
        "test_perplexity": math.exp((nll + kl) / tokens),
        "active_units": SentenceVAE.active_units(torch.cat(means)),
    }
    if iw_samples > 0:
        scores |= {"test_nll_iw": iw / sentences, "test_perplexity_iw": math.exp(iw / tokens)}
    return scores


def lm_step(model: ConditionedWordLM, batch: tuple, ctx: Any) -> StepOutput:
    inputs, targets = batch
    logits, _ = model(inputs, inputs.new_zeros((inputs.size(0), 0), dtype=torch.float32))
    return token_loss(logits, targets)


def train_reference_lm(section: dict[str, Any], splits: dict[str, list[list[int]]], vocab_size: int,
                       runtime, checkpoint: Path, run) -> dict[str, float]:
    """An LSTM LM (the word LM's class with no features) on the VAE's own sentences, tested on its test
    sentences: the same tokens are predicted (each sentence's words and ``<eos>``), so perplexities compare."""
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where="sentence_vae.lm.train")
    batch_size = get(section, "batch_size", int, "sentence_vae.lm", minimum=1)
    words = {s: [seq[:-1] for seq in splits[s]] for s in SPLITS}
    batches = {s: sequence_batches(words[s], batch_size) for s in SPLITS}
    seed_everything(config.seed)
    model = ConditionedWordLM(vocab_size, 0, **section["model"])
    trainer = Trainer(model, config, checkpoint, lm_step, batches["train"][0], batches["valid"][1],
                      log_name="sentence_vae_lm", tracker=run)
    result = trainer.fit()
    model.load_state_dict(result.best_state)
    total, count = held_out_nll(model, lm_step, batches["test"][1], trainer.device)
    return {"lm_perplexity_same_sentences": math.exp(total / count), "lm_epochs": len(result.history),
            "lm_best_epoch": result.best_epoch}


def experiment(cfg: dict[str, Any], sentences: Path, vocab_path: Path, onnx_out: Path | None = None) -> Experiment:
    """With ``onnx_out`` the kept weights are also exported there (``reviewgen interpolate`` runs them)."""
    section, name = cfg["sentence_vae"], "sentence_vae"
    runtime = setup_runtime(cfg["runtime"])
    vocab = Vocab.load(vocab_path)
    max_tokens = get(section, "max_tokens", int, name, minimum=2)
    splits, too_long = sentence_splits(pd.read_parquet(sentences, columns=["tokens", "split"]), vocab, max_tokens)
    batch_size = get(section, "batch_size", int, name, minimum=1)
    batches = {s: vae_batches(splits[s], batch_size) for s in SPLITS}
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where=f"{name}.train")
    hparams = {"vocab_size": len(vocab), **section["model"]}
    pretrain = get(section, "pretrain", dict, name, default={})
    ae_epochs = get(pretrain, "epochs", int, f"{name}.pretrain", default=0, minimum=0)
    reset = get(pretrain, "reset_decoder", bool, f"{name}.pretrain", default=False)
    kl = kl_annealing(section["kl"], math.ceil(len(splits["train"]) / batch_size), config.epochs, f"{name}.kl",
                      zero_epochs=ae_epochs)
    monitored = splits["valid"][:get(section, "monitor_sentences", int, name, default=0, minimum=0)]
    monitor_len = get(section["sampling"], "max_len", int, f"{name}.sampling")
    free_bits = get(section, "free_bits", float, name, minimum=0.0)
    per_example = get(section, "free_bits_per_example", bool, name, default=False)
    iw_samples = get(section, "iw_samples", int, name, default=0, minimum=0)

    def evaluate(fitted: Fitted) -> Outcome:
        model, device, checkpoint = fitted.model, fitted.device, fitted.outputs.checkpoint
        scores = evaluate_elbo(model, batches["test"][1], device, iw_samples, config.seed)
        lm = train_reference_lm(section["lm"], splits, len(vocab), runtime,
                                checkpoint.with_name(checkpoint.stem + "-lm.pt"), fitted.run)
        scores |= lm | {"perplexity_ratio_to_lm": scores["test_perplexity"] / lm["lm_perplexity_same_sentences"]}
        sampling = section["sampling"]
        n_prior, max_len = get(sampling, "prior_samples", int, name, minimum=1), get(sampling, "max_len", int, name)
        generator = torch.Generator(device).manual_seed(config.seed)
        z = torch.randn(n_prior, model.latent, generator=generator, device=device)
        prior = [decode_text(vocab, ids) for ids in model.decode_greedy(z, max_len)]
        metrics = {
            **scores, "final_kl_weight": kl.value, "prior_samples_distinct": len(set(prior)) / len(prior),
            "train_sentences": len(splits["train"]), "left_out_too_long": too_long, "device": str(device),
        }
        samples = "# sentence_vae: greedy decodes of z ~ N(0, I)\n\n" + "\n".join(prior) + "\n"
        extra = {"vocab": str(vocab_path), "max_tokens": max_tokens}
        if onnx_out is not None:
            export_sentence_vae_onnx(model, extra, onnx_out)
        return Outcome(metrics, samples, extra)

    def epoch_end(epoch: int, model: SentenceVAE) -> dict[str, float]:
        row = {"kl_weight": kl.value}
        if monitored:
            device = next(model.parameters()).device
            row["valid_recon_bleu"] = reconstruction_bleu(model, monitored, device, monitor_len)
        return row

    return Experiment(
        name=name, family=name, kind=name, hparams=hparams, params={name: section, "runtime": cfg["runtime"]},
        inputs=[sentences, vocab_path], evaluate=evaluate, device=runtime.device, config=config,
        step=make_step(free_bits, per_example), train_batches=batches["train"][0],
        valid_batches=batches["valid"][1], state={"kl": kl}, epoch_end=epoch_end,
        epoch_start=decoder_reset(ae_epochs if reset else 0),
        # A checkpoint trained towards another objective must not be resumed under this one.
        fingerprint={**hparams, "objective": {k: section.get(k) for k in OBJECTIVE_KEYS}},
    )
