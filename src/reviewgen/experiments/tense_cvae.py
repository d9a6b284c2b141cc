"""The conditional character VAE for tense conversion (one training stage per variant).

Each epoch every training verb is read once, from a random tense, and its one z is decoded into all
four tenses (the Gaussian score decodes one z in the four tenses), a share of rows with the attention
path hidden; with ``prior_cover`` each batch also decodes draws of z ~ N(0, I) as the training verb
whose posterior is densest there (``models.tense_cvae.PriorCover``). Every epoch logs cross-entropy,
KL, KL weight, teacher-forcing ratio, validation BLEU-4 and exact matches, and the Gaussian score with
z ~ N(0, I); the kept epoch is the best ``monitor``: validation BLEU plus the Gaussian score counted up
to ``gaussian_cap``. The test verbs and reference pairs are read only by the final evaluation; an
aggregate-posterior prior is then fitted and scored as a separate, labelled extra.
"""

from __future__ import annotations

import math
import string
from pathlib import Path
from typing import Any

import torch

from reviewgen.config import deep_merge, get
from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import TENSES, load_pairs, load_tense_data
from reviewgen.evaluation.tense_eval import convert_pairs, four_tense_samples, scores
from reviewgen.evaluation.tense_metrics import gaussian_score
from reviewgen.experiments.common import kl_annealing, setup_runtime, train_settings
from reviewgen.experiments.lm_data import bucketed
from reviewgen.experiments.runner import Experiment, Fitted, Outcome
from reviewgen.models.tense_cvae import PriorCover, TenseCVAE
from reviewgen.models.tense_onnx import export_tense_onnx
from reviewgen.models.vae import sequence_nll
from reviewgen.training.batching import bucket_batches
from reviewgen.training.hard_examples import HardExamples
from reviewgen.training.schedules import TeacherForcing
from reviewgen.training.trainer import StepOutput, TrainConfig, to_device


class Examples:
    """(source word, source tense, target word, target tense) as index lists, batched by source length."""

    def __init__(self, codec: CharCodec, sources: list[str], source_tenses: list[int],
                 targets: list[str], target_tenses: list[int]):
        self.codec, self.sources, self.targets = codec, sources, targets
        self.source_tenses, self.target_tenses = torch.tensor(source_tenses), torch.tensor(target_tenses)

    def make(self, indices: list[int]) -> tuple:
        src, src_len = self.codec.batch([self.sources[i] for i in indices])
        tgt, _ = self.codec.batch([self.targets[i] for i in indices])
        attend = torch.ones(len(indices), dtype=torch.bool)
        return src, src_len, self.source_tenses[indices], tgt, self.target_tenses[indices], attend


def training_examples(rows: list[tuple[str, ...]], codec: CharCodec, batch_size: int, hide: float,
                      hard: HardExamples | None = None):
    """Each epoch every verb once, from a random source tense, decoded by one z into all four tenses
    (the Gaussian score decodes one z in the four tenses, so z is trained to be tense-invariant). Each
    decoded row has its attention path hidden with probability ``hide``, so z alone must spell it.

    With ``hard`` a share of the epoch is replayed in proportion to the latest conversion losses, and
    each batch ends with what the step records them by. ``hard`` holds one loss per verb (the replayed
    verb reads a random source tense) or, with four times as many, one per verb and source tense, so a
    verb is replayed from the tense it fails from (sent -> sends, not send -> sent); the rest of the
    epoch is a uniform draw of the verbs."""
    n_tenses = len(TENSES)
    per_source = hard is not None and len(hard.loss) == n_tenses * len(rows)

    def make(indices: list[int], verbs: list[int], source_tenses: list[int], generator: torch.Generator) -> tuple:
        src, src_len = codec.batch([rows[verbs[i]][source_tenses[i]] for i in indices])
        tgt, _ = codec.batch([rows[verbs[i]][t] for i in indices for t in range(n_tenses)])
        tgt_tense = torch.arange(n_tenses).repeat(len(indices))
        attend = torch.rand(len(tgt_tense), generator=generator) >= hide
        batch = src, src_len, torch.tensor([source_tenses[i] for i in indices]), tgt, tgt_tense, attend
        if hard is None:
            return batch
        keys = [verbs[i] * n_tenses + source_tenses[i] if per_source else verbs[i] for i in indices]
        return (*batch, torch.tensor(keys))

    def draw(generator: torch.Generator) -> tuple[list[int], list[int]]:
        source_tenses = torch.randint(n_tenses, (len(rows),), generator=generator).tolist()
        if hard is None:
            return list(range(len(rows))), source_tenses
        if not per_source:
            return hard.draw(generator).tolist(), source_tenses
        n, count = len(rows), round(hard.share * len(rows))
        cells = hard.replay(count, generator) if count else None
        if cells is None:
            return list(range(n)), source_tenses
        uniform = torch.randperm(n, generator=generator)[:n - count].tolist()
        return uniform + (cells // n_tenses).tolist(), source_tenses[:n - count] + (cells % n_tenses).tolist()

    def train(epoch: int, generator: torch.Generator):
        verbs, source_tenses = draw(generator)
        lengths = [len(rows[v][s]) + 1 for v, s in zip(verbs, source_tenses, strict=True)]
        for indices in bucket_batches(lengths, batch_size, generator):
            yield make(indices, verbs, source_tenses, generator)

    return train, len(rows)


def conversion_loss(logits: torch.Tensor, target: torch.Tensor, attend: torch.Tensor, k: int) -> torch.Tensor:
    """Each source's mean summed cross-entropy over its ``k`` decoded rows that could attend (the
    conversion path); NaN for a source none of whose rows could."""
    nll = sequence_nll(logits.detach(), target)
    mask = attend.to(nll.dtype).view(-1, k)
    return (nll.view(-1, k) * mask).sum(dim=1) / mask.sum(dim=1)


def pair_batches(pairs, codec: CharCodec, batch_size: int):
    examples = Examples(codec, [p.source for p in pairs], [TENSES.index(p.source_tense) for p in pairs],
                        [p.target for p in pairs], [TENSES.index(p.target_tense) for p in pairs])
    return bucketed([len(p.source) + 1 for p in pairs], batch_size, examples.make)[1]


def make_step(free_bits: float, cover: PriorCover | None = None, cover_weight: float = 0.0, cover_samples: int = 0):
    def step(model: TenseCVAE, batch: tuple, ctx: Any) -> StepOutput:
        src, src_len, src_tense, tgt, tgt_tense, attend, *verbs = batch
        kl, tf = ctx.state["kl"], ctx.state["teacher_forcing"]
        teacher = tf.value if ctx.training else 1.0
        logits, mu, logvar = model(src, src_len, src_tense, tgt, tgt_tense, teacher_forcing=teacher, attend=attend)
        loss, weight, sums = model.loss(logits, tgt, mu, logvar, kl.value, free_bits)
        metrics = {"nll": sums["nll"], "kl": sums["kl"]}
        if ctx.training:
            kl.step()
            if verbs and "hard_examples" in ctx.state:
                ctx.state["hard_examples"].record(verbs[0], conversion_loss(logits, tgt, attend, len(TENSES)))
            if cover is not None and cover_weight > 0:
                prior_nll = cover.loss(model, cover_samples, ctx.epoch, teacher)
                loss = loss + cover_weight * prior_nll / weight
                metrics["prior_nll"] = prior_nll.item()
        return StepOutput(loss, weight, metrics)
    return step


def validation_scores(model: TenseCVAE, codec: CharCodec, valid, rows, n_gaussian: int, seed: int,
                      gaussian_cap: float = 1.0) -> dict[str, float]:
    """What the trainer watches each epoch: validation conversion and the N(0, I) Gaussian score, and
    ``monitor``, validation BLEU plus the Gaussian score counted up to ``gaussian_cap``, so one
    checkpoint is chosen for both jobs. No test or reference pair.

    Without the cap a plain sum lets the Gaussian score's epoch-to-epoch noise (100 draws) outvote
    conversion and keep an early, half-trained epoch; above the cap, conversion alone decides."""
    frame = convert_pairs(model, codec, valid)
    generator = torch.Generator(next(model.parameters()).device).manual_seed(seed)
    gaussian = gaussian_score(four_tense_samples(model, codec, n_gaussian, generator, standard=True), rows)
    bleu = float(frame["bleu4"].mean())
    return {"bleu_valid": bleu, "exact_valid": float(frame["exact"].mean()), "gaussian_score": gaussian,
            "monitor": bleu + min(gaussian, gaussian_cap)}


@torch.no_grad()
def fit_prior(model: TenseCVAE, rows, codec: CharCodec, device: torch.device) -> None:
    """The aggregate posterior of every training verb in every tense becomes the model's second prior."""
    model.eval()
    words = [row[t] for row in rows for t in range(len(TENSES))]
    tenses = torch.tensor([t for _ in rows for t in range(len(TENSES))], device=device)
    chars, lengths = to_device(codec.batch(words), device)
    mu, logvar = model.posterior(chars, lengths, tenses)
    model.fit_aggregate_prior(mu, logvar)


def experiment(variant: str, cfg: dict[str, Any], tense_dir: Path, onnx_out: Path | None = None) -> Experiment:
    section = deep_merge(cfg["tense"], cfg[f"tense_variants.{variant}"] or {})
    name, where = f"tense_cvae-{variant}", "tense"
    runtime = setup_runtime(cfg["runtime"])
    # The test verbs are read once, by the final evaluation below (tests/experiments check this).
    data = load_tense_data(tense_dir, splits=("valid", "reference"))
    rows = [tuple(row) for row in data.train]
    words = {w for row in rows for w in row} | {w for p in data.valid + data.reference
                                                 for w in (p.source, p.target)} | {string.ascii_lowercase}
    codec = CharCodec.from_words(words)
    batch_size = get(section, "batch_size", int, where, minimum=1)
    hide = get(section, "hide_attention", float, where, minimum=0.0)
    hard_cfg = section.get("hard_examples") or {}
    hard_share = get(hard_cfg, "share", float, f"{where}.hard_examples", default=0.0, minimum=0.0, maximum=1.0)
    hard_by = get(hard_cfg, "by", str, f"{where}.hard_examples", default="verb", choices=("verb", "source"))
    hard = (HardExamples(len(rows) * (len(TENSES) if hard_by == "source" else 1), hard_share)
            if hard_share > 0 else None)
    train_batches, n_examples = training_examples(rows, codec, batch_size, hide, hard)
    config = TrainConfig.from_params(train_settings(section["train"], runtime), where=f"{where}.train")
    kl = kl_annealing(section["kl"], math.ceil(n_examples / batch_size), config.epochs, f"{where}.kl")
    teacher = TeacherForcing(**section["teacher_forcing"])
    n_gaussian = get(section, "gaussian_samples", int, where, minimum=1)
    gaussian_cap = get(section, "gaussian_cap", float, where, default=1.0, minimum=0.0, maximum=1.0)

    def epoch_end(epoch: int, model: TenseCVAE) -> dict[str, float]:
        logged = {"kl_weight": kl.value, "teacher_forcing": teacher.value}
        teacher.step()
        return logged | validation_scores(model, codec, data.valid, rows, n_gaussian, config.seed, gaussian_cap)

    cover_cfg = section.get("prior_cover") or {}
    cover_weight = get(cover_cfg, "weight", float, f"{where}.prior_cover", default=0.0, minimum=0.0)
    cover_samples = get(cover_cfg, "samples", int, f"{where}.prior_cover", default=batch_size, minimum=1)
    # Its range is the schema's (a fraction) and PriorCover's own check; no third copy here.
    exponent = get(cover_cfg, "variance_exponent", float, f"{where}.prior_cover", default=1.0)
    cover = (PriorCover(*codec.batch([w for row in rows for w in row]), len(TENSES), exponent)
             if cover_weight else None)

    state = {"kl": kl, "teacher_forcing": teacher} | ({"hard_examples": hard} if hard else {})

    def evaluate(fitted: Fitted) -> Outcome:
        model, device, best = fitted.model, fitted.device, fitted.best_row
        test = load_pairs(tense_dir, "test")
        final = scores(model, codec, data.reference, test, rows, n_gaussian, config.seed)
        fit_prior(model, rows, codec, device)
        generator = torch.Generator(device).manual_seed(config.seed)
        aggregate = four_tense_samples(model, codec, n_gaussian, generator, standard=False)
        metrics = {
            "variant": variant, "best_monitor": fitted.result.best_monitor, "bleu_valid": best["bleu_valid"], **final,
            "gaussian_score_aggregate_prior": gaussian_score(aggregate, rows), "final_kl": best["valid_kl"],
            "kl_schedule": section["kl"]["kind"], "kl_weight_max": section["kl"]["max_weight"],
            "cell": section["model"].get("cell", "lstm"), "hide_attention": hide, "device": str(device),
        }
        samples = [" ".join(forms) for forms in four_tense_samples(
            model, codec, 20, torch.Generator(device).manual_seed(config.seed), standard=True)]
        text = f"# {name}: z ~ N(0, I) decoded in the tenses {' '.join(TENSES)}\n\n" + "\n".join(samples) + "\n"
        if onnx_out is not None:
            export_tense_onnx(model, codec.itos, list(TENSES), onnx_out)
        return Outcome(metrics, text, extra={"chars": codec.itos, "tenses": list(TENSES), "variant": variant})

    return Experiment(
        name=name, family="tense_cvae", kind="tense_cvae",
        hparams={"n_chars": len(codec), "n_tenses": len(TENSES), **section["model"]},
        params={"tense": section, "variant": variant, "runtime": cfg["runtime"]},
        inputs=sorted(tense_dir.glob("*.txt")), evaluate=evaluate, device=runtime.device, config=config,
        step=make_step(get(section, "free_bits", float, where), cover, cover_weight, cover_samples),
        train_batches=train_batches,
        valid_batches=pair_batches(data.valid, codec, batch_size), state=state,
        epoch_end=epoch_end,
    )
