"""The tense CVAE's report: conversions of the main variant, its generations, and the variants compared.

The conversion table and the generations are recomputed from the main variant's model file, so they show
the exact predictions behind the numbers; the comparison across variants reads each training stage's
final metrics, and the curves read their per-epoch histories.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reviewgen.config import ConfigError, get
from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import TENSES, load_tense_data
from reviewgen.evaluation.tense_eval import convert_pairs, four_tense_samples
from reviewgen.evaluation.tense_metrics import gaussian_score
from reviewgen.io import atomic_path, get_logger, read_json, write_csv, write_text
from reviewgen.models.registry import load_model
from reviewgen.models.tense_cvae import TenseCVAE
from reviewgen.reports.plots import plot_tradeoff
from reviewgen.reports.tables import markdown_table

log = get_logger("reports.tense")
_SECTION = "tense_report"
# (panel title, history columns drawn in it): one panel per quantity, every variant overlaid.
PANELS = (
    ("cross-entropy (train)", ("train_nll",)),
    ("KL (train)", ("train_kl",)),
    ("BLEU-4 (validation verbs)", ("bleu_valid",)),
    ("Gaussian score N(0, I)", ("gaussian_score",)),
    ("KL weight", ("kl_weight",)),
    ("teacher-forcing ratio", ("teacher_forcing",)),
)
_STYLES = {"bleu_valid": "-"}
BLEU_HELDOUT, GAUSSIAN = "held-out BLEU-4", "Gaussian score N(0, I)"


def conversion_table(model, codec: CharCodec, tense_dir: Path) -> pd.DataFrame:
    """Every reference pair then every held-out test pair, with the greedy conversion and its BLEU-4."""
    data = load_tense_data(tense_dir)
    frames = [convert_pairs(model, codec, pairs).assign(set=name)
              for name, pairs in (("reference", data.reference), ("heldout", data.test)) if pairs]
    frame = pd.concat(frames, ignore_index=True).rename(columns={"source": "input"})
    return frame[["set", "input", "target", "source_tense", "target_tense", "prediction", "bleu4", "exact"]]


def conversion_markdown(frame: pd.DataFrame) -> str:
    """A table per set, its average BLEU-4 as the last row and its exact-match count below it."""
    titles = {"reference": "Reference pairs (verbs seen in training)", "heldout": "Held-out test verbs"}
    lines = ["# Tense conversion", "",
             "Greedy decoding of each input's posterior mean in the target tense; character BLEU-4.", ""]
    for name, group in frame.groupby("set", sort=False):
        shown = pd.DataFrame({"input": group["input"], "target": group["target"],
                              "tenses": group["source_tense"] + " → " + group["target_tense"],
                              "prediction": group["prediction"], "BLEU-4": group["bleu4"]})
        average = pd.DataFrame([{"input": "**average**", "BLEU-4": group["bleu4"].mean()}])
        lines += [f"## {titles.get(name, name)}", "", markdown_table(pd.concat([shown, average]), ".3f").rstrip(),
                  "", f"Exact matches: {int(group['exact'].sum())} of {len(group)}.", ""]
    return "\n".join(lines)


def _has_aggregate_prior(model) -> bool:
    return len(model.prior_mu) > 0


def generation_text(samples: list[tuple[str, ...]], score: float, aggregate_score: float | None,
                    train_rows: list[tuple[str, ...]]) -> str:
    known = {tuple(row) for row in train_rows}
    lines = [f"# {len(samples)} verbs generated from Gaussian noise z ~ N(0, I), each z decoded in the four "
             f"tenses ({' '.join(TENSES)}); * marks a training verb (all four forms exact).",
             f"# Gaussian score, z ~ N(0, I): {score:.4f}", ""]
    lines += [" ".join(w or "<empty>" for w in forms) + (" *" if tuple(forms) in known else "") for forms in samples]
    if aggregate_score is None:
        lines += ["", "# A different prior, the aggregate posterior: not fitted in this model."]
    else:
        lines += ["", f"# A different prior, NOT N(0, I): z from the aggregate posterior (the mixture of the "
                  f"training words' posteriors), {len(samples)} draws.",
                  f"# Gaussian score under the aggregate prior: {aggregate_score:.4f}"]
    return "\n".join(lines) + "\n"


def comparison_frame(metrics: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per variant from the training stages' final metrics; a key a stage did not write is blank."""
    columns = {"cell": "cell", "kl_schedule": "KL schedule", "kl_weight_max": "max KL weight",
               "bleu_reference": "reference BLEU-4", "bleu_heldout": BLEU_HELDOUT,
               "exact_heldout": "held-out exact", "gaussian_score": GAUSSIAN,
               "gaussian_distinct_verbs": "distinct verbs among its hits",
               "gaussian_score_aggregate_prior": "Gaussian score, aggregate prior",
               "exact_train_strong_verbs": "strong training verbs exact",
               "exact_train_strong_verbs_from_past": "strong training verbs exact, from the past"}
    rows = [{"variant": variant, **{label: values.get(key) for key, label in columns.items()}}
            for variant, values in metrics.items()]
    return pd.DataFrame(rows, columns=["variant", *columns.values()])


def plot_curves(histories: dict[str, pd.DataFrame], path: Path, title: str) -> None:
    """One panel per quantity of ``PANELS`` against the epoch, a line per variant (and per column)."""
    for variant, history in histories.items():
        missing = [c for _, cols in PANELS for c in ("epoch", *cols) if c not in history.columns]
        if missing:
            raise ValueError(f"history of {variant!r} lacks column(s) {sorted(set(missing))}")
    figure = Figure(figsize=(8, 2.2 * len(PANELS) + 0.6), dpi=100, layout="constrained")
    panels = figure.subplots(len(PANELS), 1, sharex=True, squeeze=False)[:, 0]
    colours = {variant: f"C{index}" for index, variant in enumerate(histories)}
    for axes, (name, columns) in zip(panels, PANELS, strict=True):
        for variant, history in histories.items():
            for column in columns:
                label = variant if len(columns) == 1 else f"{variant}: {column.removeprefix('bleu_')}"
                axes.plot(history["epoch"], history[column], _STYLES.get(column, "-"), color=colours[variant],
                          marker="o", markersize=2, label=label)
        axes.set_ylabel(name)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7, loc="best")
    panels[-1].set_xlabel("epoch")
    panels[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(title)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", bbox_inches="tight", metadata={"Software": None})


def write_sweep_tradeoff(summary_csv: Path, out_png: Path, key: str = "kl.max_weight") -> pd.DataFrame:
    """The trade-off plot from a sweep's summary (``results/sweeps/<sweep>/summary.csv``, one row per
    grid point): the Gaussian score with z ~ N(0, I) against held-out BLEU-4, each point labelled by the
    swept ``key``. Returns the points drawn, ordered by that key."""
    table = pd.read_csv(summary_csv)
    missing = [c for c in (key, "bleu_heldout", "gaussian_score") if c not in table.columns]
    if missing:
        raise ValueError(f"{summary_csv}: no column(s) {missing}; is it the summary of a sweep over {key}?")
    points = table.sort_values(key).rename(columns={"bleu_heldout": BLEU_HELDOUT, "gaussian_score": GAUSSIAN})
    plot_tradeoff(points, BLEU_HELDOUT, GAUSSIAN, key, out_png,
                  f"Gaussian score against held-out BLEU-4 over {key} (one training run per point)")
    return points


def write_tense_report(model_paths: dict[str, Path], history_paths: dict[str, Path],
                       metrics_paths: dict[str, Path], tense_dir: Path, cfg: dict[str, Any],
                       out_dir: Path) -> dict[str, Any]:
    """``conversion.md/.csv`` and ``generation.txt`` for the main variant; ``comparison.md``,
    ``curves.png`` and ``tradeoff.png`` over all variants. Returns the main variant's recomputed scores."""
    main = get(cfg, "main_variant", str, _SECTION, choices=list(model_paths))
    n_generated = get(cfg, "n_generated", int, _SECTION, minimum=1)
    seed = get(cfg, "seed", int, _SECTION)
    if not set(model_paths) == set(history_paths) == set(metrics_paths):
        raise ValueError(f"models, histories and metrics name different variants: {sorted(model_paths)}, "
                         f"{sorted(history_paths)}, {sorted(metrics_paths)}")

    model, _, extra = load_model(model_paths[main], expected=TenseCVAE)
    codec = CharCodec(extra["chars"])
    if tuple(extra.get("tenses", TENSES)) != TENSES:
        raise ConfigError(f"{model_paths[main]}: tenses {extra['tenses']} differ from the dataset's {TENSES}")
    conversions = conversion_table(model, codec, tense_dir)
    write_csv(out_dir / "conversion.csv", conversions)
    write_text(out_dir / "conversion.md", conversion_markdown(conversions))

    train_rows = load_tense_data(tense_dir).train
    device = next(model.parameters()).device
    standard = four_tense_samples(model, codec, n_generated, torch.Generator(device).manual_seed(seed))
    summary = {"main_variant": main, "n_generated": n_generated,
               "gaussian_score": gaussian_score(standard, train_rows), "gaussian_score_aggregate_prior": None}
    if _has_aggregate_prior(model):
        aggregate = four_tense_samples(model, codec, n_generated, torch.Generator(device).manual_seed(seed),
                                       standard=False)
        summary["gaussian_score_aggregate_prior"] = gaussian_score(aggregate, train_rows)
    write_text(out_dir / "generation.txt", generation_text(
        standard, summary["gaussian_score"], summary["gaussian_score_aggregate_prior"], train_rows))
    for name in ("reference", "heldout"):
        scores = conversions.loc[conversions["set"] == name]
        summary[f"bleu_{name}"] = float(scores["bleu4"].mean()) if len(scores) else None
        summary[f"exact_{name}"] = float(scores["exact"].mean()) if len(scores) else None

    comparison = comparison_frame({v: read_json(metrics_paths[v]) for v in model_paths})
    write_text(out_dir / "comparison.md",
               "# Tense CVAE variants\n\nFinal scores written by each training stage. The Gaussian score is "
               "defined with z ~ N(0, I); the aggregate-prior column samples a different prior.\n\n"
               + markdown_table(comparison, ".3f"))
    plot_curves({v: pd.read_csv(history_paths[v]) for v in model_paths}, out_dir / "curves.png",
                "Tense CVAE variants per epoch")
    plot_tradeoff(comparison, BLEU_HELDOUT, GAUSSIAN, "variant", out_dir / "tradeoff.png",
                  "Gaussian score against held-out BLEU-4, one point per variant")
    log.info("tense report (%s): %s", main, summary)
    return summary
