"""The conditional character VAE for tense conversion (one training stage per variant).

Trained on every training verb in each of its four tenses, each time with a random target tense of the
same verb (param `tense.data.mode: cross`) or its own tense (`auto`). Every epoch it logs cross-entropy,
KL, KL weight, teacher-forcing ratio, BLEU-4 on the ten reference pairs and on held-out verbs, and the
Gaussian score (z ~ N(0, I)). The kept epoch is the best BLEU-4 on validation verbs, kept apart from the
held-out test verbs. After training, an aggregate-posterior prior is fitted and scored separately.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from reviewgen.config import deep_merge, get
from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import TENSES, load_tense_data
from reviewgen.evaluation.tense_eval import convert_pairs, four_tense_samples, scores
from reviewgen.evaluation.tense_metrics import gaussian_score
from reviewgen.experiments.common import (
    StageOutputs,
    count_parameters,
    finish_stage,
    kl_annealing,
    mean_epoch_seconds,
    setup_runtime,
    tracked_run,
    train_settings,
)
from reviewgen.experiments.lm_data import bucketed
from reviewgen.models.registry import save_model
from reviewgen.models.tense_cvae import TenseCVAE
from reviewgen.training.batching import bucket_batches
from reviewgen.training.runtime import seed_everything
from reviewgen.training.schedules import TeacherForcing
from reviewgen.training.trainer import StepOutput, TrainConfig, Trainer, to_device


class Examples:
    """(source word, source tense, target word, target tense) as index lists, batched by source length."""

    def __init__(self, codec: CharCodec, sources: list[str], source_tenses: list[int],
                 targets: list[str], target_tenses: list[int]):
        self.codec, self.sources, self.targets = codec, sources, targets
        self.source_tenses, self.target_tenses = torch.tensor(source_tenses), torch.tensor(target_tenses)

    def make(self, indices: list[int]) -> tuple:
        src, src_len = self.codec.batch([self.sources[i] for i in indices])
        tgt, _ = self.codec.batch([self.targets[i] for i in indices])
        return src, src_len, self.source_tenses[indices], tgt, self.target_tenses[indices]


def training_examples(rows: list[tuple[str, ...]], codec: CharCodec, mode: str, batch_size: int):
    """Every verb in every tense as a source; its target is redrawn each epoch (cross) or itself (auto)."""
    sources = [(row, s) for row in rows for s in range(len(TENSES))]
    lengths = [len(row[s]) + 1 for row, s in sources]

    def epoch_examples(generator: torch.Generator) -> Examples:
        if mode == "auto":
            targets = [s for _, s in sources]
        else:
            targets = torch.randint(len(TENSES), (len(sources),), generator=generator).tolist()
        return Examples(codec, [row[s] for row, s in sources], [s for _, s in sources],
                        [row[t] for (row, _), t in zip(sources, targets, strict=True)], targets)

    def train(epoch: int, generator: torch.Generator):
        examples = epoch_examples(generator)
        # By source length: most batches then hold sources of one length, which the encoder runs unpacked.
        # (Sorting by target length as well made batches of mostly one target tense: held-out BLEU fell
        # from 0.78 to 0.74, reference BLEU from 1.0 to 0.85.)
        for indices in bucket_batches(lengths, batch_size, generator):
            yield examples.make(indices)

    return train, len(sources)


def pair_batches(pairs, codec: CharCodec, batch_size: int):
    examples = Examples(codec, [p.source for p in pairs], [TENSES.index(p.source_tense) for p in pairs],
                        [p.target for p in pairs], [TENSES.index(p.target_tense) for p in pairs])
    return bucketed([len(p.source) + 1 for p in pairs], batch_size, examples.make)[1]


def make_step(free_bits: float):
    def step(model: TenseCVAE, batch: tuple, ctx: Any) -> StepOutput:
        src, src_len, src_tense, tgt, tgt_tense = batch
        kl, tf = ctx.state["kl"], ctx.state["teacher_forcing"]
        logits, mu, logvar = model(src, src_len, src_tense, tgt, tgt_tense,
                                   teacher_forcing=tf.value if ctx.training else 1.0)
        loss, weight, sums = model.loss(logits, tgt, mu, logvar, kl.value, free_bits)
        if ctx.training:
            kl.step()
        return StepOutput(loss, weight, {"nll": sums["nll"], "kl": sums["kl"]})
    return step


@torch.no_grad()
def fit_prior(model: TenseCVAE, rows, codec: CharCodec, device: torch.device) -> None:
    """The aggregate posterior of every training verb in every tense becomes the model's second prior."""
    model.eval()
    words = [row[t] for row in rows for t in range(len(TENSES))]
    tenses = torch.tensor([t for _ in rows for t in range(len(TENSES))], device=device)
    chars, lengths = to_device(codec.batch(words), device)
    mu, logvar = model.posterior(chars, lengths, tenses)
    model.fit_aggregate_prior(mu, logvar)


def train_tense_cvae(variant: str, cfg: dict[str, Any], tense_dir: Path, outputs: StageOutputs) -> dict[str, Any]:
    section = deep_merge(cfg["tense"], cfg[f"tense_variants.{variant}"] or {})
    name, where = f"tense_cvae-{variant}", "tense"
    runtime = setup_runtime(cfg["runtime"])
    data = load_tense_data(tense_dir)
    rows = [tuple(row) for row in data.train]
    words = {w for row in rows for w in row} | {w for p in data.valid + data.test + data.reference
                                                 for w in (p.source, p.target)}
    codec = CharCodec.from_words(words)
    mode = get(section["data"], "mode", str, f"{where}.data", choices=("cross", "auto"))
    batch_size = get(section, "batch_size", int, where, minimum=1)
    train_batches, n_examples = training_examples(rows, codec, mode, batch_size)
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where=f"{where}.train")
    kl = kl_annealing(section["kl"], math.ceil(n_examples / batch_size), config.epochs, f"{where}.kl")
    teacher = TeacherForcing(**section["teacher_forcing"])
    n_gaussian = get(section, "gaussian_samples", int, where, minimum=1)
    hparams = {"n_chars": len(codec), "n_tenses": len(TENSES), **section["model"]}

    def epoch_end(epoch: int, model: TenseCVAE) -> dict[str, float]:
        logged = {"kl_weight": kl.value, "teacher_forcing": teacher.value}
        teacher.step()
        valid = convert_pairs(model, codec, data.valid)
        return logged | {"bleu_valid": float(valid["bleu4"].mean())} | scores(
            model, codec, data.reference, data.test, rows, n_gaussian, config.seed + epoch)

    seed_everything(config.seed)
    model = TenseCVAE(**hparams)
    trainer = Trainer(model, config, outputs.checkpoint, make_step(get(section, "free_bits", float, where)),
                      train_batches, pair_batches(data.valid, codec, batch_size),
                      state={"kl": kl, "teacher_forcing": teacher}, epoch_end=epoch_end, hparams=hparams,
                      log_name=name)
    params = {"tense": section, "variant": variant, "runtime": cfg["runtime"]}
    with tracked_run(family="tense_cvae", name=name, params=params, inputs=sorted(tense_dir.glob("*.txt")),
                     device=runtime.device, resume_run_id=trainer.resume_run_id()) as run:
        trainer.tracker = run
        result = trainer.fit()
        model.load_state_dict(result.best_state)
        final = scores(model, codec, data.reference, data.test, rows, n_gaussian, config.seed)
        fit_prior(model, rows, codec, trainer.device)
        generator = torch.Generator(trainer.device).manual_seed(config.seed)
        aggregate = four_tense_samples(model, codec, n_gaussian, generator, standard=False)
        metrics = {
            "model": name, "variant": variant, "parameters": count_parameters(model),
            "epochs": len(result.history), "best_epoch": result.best_epoch, "best_bleu_valid": result.best_valid_loss,
            "seconds_per_epoch": mean_epoch_seconds(result.history), **final,
            "gaussian_score_aggregate_prior": gaussian_score(aggregate, rows),
            "final_kl": result.history[result.best_epoch - 1]["valid_kl"],
            "kl_schedule": section["kl"]["kind"], "kl_weight_max": section["kl"]["max_weight"],
            "cell": section["model"].get("cell", "lstm"), "mode": mode, "device": str(trainer.device),
        }
        save_model(outputs.model, "tense_cvae", hparams, model,
                   extra={"chars": codec.itos, "tenses": list(TENSES), "variant": variant, "metrics": metrics})
        samples = [" ".join(forms) for forms in four_tense_samples(
            model, codec, 20, torch.Generator(trainer.device).manual_seed(config.seed), standard=True)]
        finish_stage(run, outputs, metrics=metrics, history=result.history,
                     samples=f"# {name}: z ~ N(0, I) decoded in the tenses {' '.join(TENSES)}\n\n"
                     + "\n".join(samples) + "\n")
    return metrics
