"""Reports across models: the character-LM comparison, one plot per training history, the tables the
multi-model DVC charts draw, the MLflow runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reviewgen.io import get_logger, read_json, write_csv, write_text
from reviewgen.reports.plots import plot_history
from reviewgen.reports.runs import collect_runs, runs_markdown
from reviewgen.reports.tables import charlm_comparison, parse_samples
from reviewgen.tracking import tracking_uri

log = get_logger("reports.overview")
# The final metrics worth a column in the runs table (the CSV keeps every metric and param).
KEY_METRICS = ["test_bits_per_char", "test_perplexity", "test_perplexity_shuffled", "test_kl", "active_units",
               "bleu_reference", "bleu_heldout", "gaussian_score", "gaussian_score_aggregate_prior",
               "seconds_per_epoch"]
# History columns that are bookkeeping, not something to watch per epoch.
NOT_PLOTTED = {"epoch", "seconds", "lr"}


def write_charlm_comparison(metrics_paths: list[Path], samples_paths: list[Path], out: Path) -> None:
    metrics = [read_json(p) for p in metrics_paths]
    samples = {m["model"]: parse_samples(p.read_text(encoding="utf-8"))
               for m, p in zip(metrics, samples_paths, strict=True)}
    intro = ("# Character language models\n\nSame sentences, same vocabulary, same held-out test split. "
             "Bits per character are measured on the test split (add-k smoothed for the count model).\n\n")
    write_text(out, intro + charlm_comparison(metrics, samples))


def write_history_plots(history_paths: list[Path], out_dir: Path) -> list[Path]:
    """``<out_dir>/<model>.png`` for each ``histories/<model>.csv``, one panel per tracked quantity."""
    written = []
    for path in history_paths:
        history = pd.read_csv(path)
        columns = [c for c in history.columns
                   if c not in NOT_PLOTTED and pd.api.types.is_numeric_dtype(history[c])]
        target = out_dir / f"{path.stem}.png"
        plot_history(history, columns, target, f"{path.stem}: training history")
        written.append(target)
    return written


def write_chart_tables(charts: dict[str, tuple[tuple[str, ...], list[Path]]], out_dir: Path) -> list[Path]:
    """``<out_dir>/<chart>.csv`` for each chart over several models: its columns of every history, one row
    per model and epoch (the model is the history's name). The top-level DVC charts draw these tables, a
    line per model, so dvc.yaml lists no model."""
    written = []
    for chart_id, (columns, paths) in charts.items():
        frames = []
        for path in paths:
            history = pd.read_csv(path)
            missing = sorted(set(["epoch", *columns]) - set(history.columns))
            if missing:
                raise ValueError(f"{path}: no column {missing} for the chart {chart_id}")
            frames.append(history[["epoch", *columns]].assign(model=path.stem))
        table = pd.concat(frames, ignore_index=True)[["model", "epoch", *columns]]
        target = out_dir / f"{chart_id}.csv"
        write_csv(target, table)
        written.append(target)
    return written


def write_runs_report(metrics_paths: list[Path], csv_out: Path, md_out: Path, repo_root: Path = Path(".")) -> None:
    """The MLflow runs behind the current results, one row each, sorted by family and model.

    Every training stage records its run id in its metrics file, so the table shows exactly the runs that
    produced the results on disk: no stale runs from earlier params, none missing.
    """
    wanted = {read_json(p).get("mlflow_run_id") for p in metrics_paths} - {None}
    runs = collect_runs(tracking_uri(repo_root))
    current = runs[runs["run_id"].isin(wanted)] if not runs.empty else runs
    missing = sorted(wanted - set(current.get("run_id", [])))
    if missing:
        log.warning("%d run(s) named by the metrics are not in the tracking store: %s", len(missing), missing)
    current = current.sort_values(["family", "model"], ignore_index=True)
    write_csv(csv_out, current)
    metric_columns = [c for c in KEY_METRICS if f"metrics.{c}" in current.columns]
    note = f"\n{len(missing)} run(s) of the current results are missing from the store: {missing}\n" if missing else ""
    header = f"# Training runs\n\nTracking store: `{tracking_uri(repo_root)}`\n\n"
    write_text(md_out, header + runs_markdown(current, metric_columns) + note)
