"""One table of the tracked runs: what was trained, how long it took, on what, and how well it did.

Reads the MLflow store through an ``MlflowClient`` bound to the given URI, so no global MLflow state
(``mlflow.set_tracking_uri``) changes under the caller.
"""

from __future__ import annotations

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Run, ViewType

from reviewgen.reports.tables import markdown_table
from reviewgen.tracking import retry

BASE_COLUMNS = ["family", "model", "status", "start_time", "duration_s", "device", "git_commit", "orchestrator",
                "run_id", "selection"]
# How ``collect_runs`` chose each row, shown by ``runs_markdown``.
BY_COMMIT, LATEST_FINISHED, ALL_RUNS = "commit", "latest finished", "all"


def _pages(call, *args, **kwargs) -> list:
    """Every item of a paginated MLflow search, not just its first page."""
    items, token = [], None
    while True:
        page = retry(call, *args, page_token=token, **kwargs)
        items.extend(page)
        token = page.token
        if not token:
            return items


def _row(run: Run, family: str) -> dict:
    info, data = run.info, run.data
    duration = (info.end_time - info.start_time) / 1000 if info.end_time and info.start_time else None
    return {
        "family": family,
        "model": info.run_name,
        "status": info.status,
        "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True) if info.start_time else pd.NaT,
        "duration_s": duration,
        "device": data.tags.get("device"),
        "git_commit": data.tags.get("git_commit"),
        "orchestrator": data.tags.get("orchestrator"),
        "run_id": info.run_id,
        **{f"params.{k}": v for k, v in data.params.items()},
        **{f"metrics.{k}": v for k, v in data.metrics.items()},
    }


def collect_runs(tracking_uri: str, experiment_prefix: str = "reviewgen-", commit: str | None = None) -> pd.DataFrame:
    """One row per run of every active experiment whose name starts with ``experiment_prefix``.

    Columns: ``BASE_COLUMNS`` (``family`` is the experiment, ``model`` the run name, ``duration_s`` end
    minus start, ``device``, ``git_commit`` and ``orchestrator`` from the run's tags), then every
    ``params.*`` and the last value of every ``metrics.*``. Sorted by family, model, start time.

    With ``commit``, only that commit's runs (``selection`` = "commit"); if it has none, the latest
    FINISHED run per (family, model) instead (``selection`` = "latest finished"), so a report made
    before a full re-run still shows something, and says so. Without ``commit``: every run ("all").
    """
    client = MlflowClient(tracking_uri=tracking_uri)
    experiments = [e for e in _pages(client.search_experiments, view_type=ViewType.ACTIVE_ONLY)
                   if e.name.startswith(experiment_prefix)]
    rows = [_row(run, experiment.name) for experiment in experiments
            for run in _pages(client.search_runs, [experiment.experiment_id], max_results=1000)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=BASE_COLUMNS)
    extra = sorted(c for c in frame.columns if c not in BASE_COLUMNS)
    frame = frame.reindex(columns=BASE_COLUMNS + extra)
    frame = frame.sort_values(["family", "model", "start_time"], ignore_index=True, na_position="last")
    if commit is None:
        return frame.assign(selection=ALL_RUNS)
    mine = frame[frame["git_commit"] == commit]
    if not mine.empty:
        return mine.assign(selection=BY_COMMIT).reset_index(drop=True)
    finished = frame[frame["status"] == "FINISHED"]
    latest = finished.groupby(["family", "model"], sort=False, dropna=False).tail(1)
    return latest.assign(selection=LATEST_FINISHED).reset_index(drop=True)


def runs_markdown(frame: pd.DataFrame, metric_columns: list[str]) -> str:
    """A Markdown table of ``frame`` from ``collect_runs``: family, model, status, minutes, device,
    orchestrator, short commit, then ``metric_columns`` (``"x"`` or ``"metrics.x"``; blank where a run
    lacks it), preceded by a note when the rows are a fallback rather than the current commit's runs."""
    if frame.empty:
        return "No tracked runs were found.\n"
    metrics = [c if c.startswith("metrics.") else f"metrics.{c}" for c in metric_columns]
    table = pd.DataFrame({
        "family": frame["family"],
        "model": frame["model"],
        "status": frame["status"],
        "minutes": frame["duration_s"].astype("float64") / 60,
        "device": frame["device"],
        "orchestrator": frame["orchestrator"],
        "commit": frame["git_commit"].map(lambda c: c[:8] if isinstance(c, str) else c),
    })
    for column in metrics:
        table[column.removeprefix("metrics.")] = frame[column] if column in frame.columns else float("nan")
    note = ""
    if (frame["selection"] == LATEST_FINISHED).any():
        note = ("No runs of the current commit were found: showing the latest finished run of each model "
                "instead, whatever commit it came from (see the commit column).\n\n")
    return note + markdown_table(table)
