"""Sweeps: a grid of params overrides, one training run per point, under one parent MLflow run.

A sweep in params.yaml names the section it varies and a grid of dotted keys::

    sweeps:
      tense_schedule_cell:
        stage: tense
        grid: {kl.kind: [monotonic, cyclical], model.cell: [lstm, gru]}

Snakemake expands it into one job per point (workflow/rules/sweep.smk): the parent run is opened first,
every point trains through the stage's own script with ``--override`` and is tagged with the sweep, the
point and ``mlflow.parentRunId`` (so the MLflow UI nests it under the parent), and a summary closes it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd

from reviewgen import tracking
from reviewgen.config import ConfigError, get
from reviewgen.io import read_json, write_csv, write_json, write_text
from reviewgen.reports.tables import markdown_table

# The sections a sweep may vary, and the model family (MLflow experiment) of their runs.
FAMILIES = {"tense": "tense_cvae", "sentence_vae": "sentence_vae"}


def grid_points(sweep: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    """``(point id, overrides)`` for every combination, keys in sorted order; the id reads ``k=v,k=v``."""
    stage = get(sweep, "stage", str, f"sweeps.{name}", choices=FAMILIES)
    grid = get(sweep, "grid", dict, f"sweeps.{name}")
    if not grid or not all(isinstance(v, list) and v for v in grid.values()):
        raise ConfigError(f"params: 'sweeps.{name}.grid' must map dotted {stage} keys to non-empty lists")
    keys = sorted(grid)
    points = []
    for values in itertools.product(*(grid[k] for k in keys)):
        overrides = dict(zip(keys, values, strict=True))
        points.append((",".join(f"{k}={v}" for k, v in overrides.items()), overrides))
    return points


def start_parent(name: str, sweep: dict[str, Any], out: Path) -> str:
    """Open the sweep's parent run (left RUNNING until the summary) and record its id in ``out``."""
    family = FAMILIES[sweep["stage"]]
    points = [point for point, _ in grid_points(sweep, name)]
    run = tracking.start_run(f"reviewgen-{family}", f"sweep {name}", {"sweep": sweep},
                             tracking.run_tags("n/a") | {"sweep": name, "sweep_role": "parent"})
    write_json(out, {"run_id": run.run_id, "sweep": name, "family": family, "points": points})
    return run.run_id


def point_tags(parent_file: Path, point: str) -> dict[str, str]:
    parent = read_json(parent_file)
    return {"sweep": parent["sweep"], "sweep_point": point, "sweep_role": "point",
            "mlflow.parentRunId": parent["run_id"]}


def finish_sweep(parent_file: Path, metrics_files: list[Path], md_out: Path, csv_out: Path) -> pd.DataFrame:
    """One row per point (its overrides and final metrics), written as CSV and Markdown, logged to the
    parent run, which then ends FINISHED."""
    parent = read_json(parent_file)
    rows = []
    for path in metrics_files:
        point = path.parent.name
        metrics = read_json(path)
        numbers = {k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        rows.append({"point": point, **dict(p.split("=", 1) for p in point.split(",")), **numbers})
    table = pd.DataFrame(rows)
    write_csv(csv_out, table)
    shown = [c for c in table.columns if c in {"point", "bleu_valid", "bleu_reference", "bleu_heldout",
                                               "gaussian_score", "gaussian_distinct_verbs",
                                               "gaussian_score_aggregate_prior", "test_kl", "test_nll",
                                               "active_units", "prior_samples_distinct", "seconds_per_epoch"}]
    write_text(md_out, f"# Sweep {parent['sweep']}\n\nParent MLflow run `{parent['run_id']}`; one child run "
                       f"per point.\n\n{markdown_table(table[shown])}\n")
    tracking.finish_run(parent["run_id"], artifacts=[md_out, csv_out])
    return table
