"""A Snakemake sweep: one job per grid point, each its own MLflow run under the sweep's parent run."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from tests.conftest import REPO, make_pipeline_copy, tool_env

pytestmark = pytest.mark.e2e


def test_default_sweeps_expand_to_one_job_per_point():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-F", "--cores", "4", "sweeps"], cwd=REPO,
                          env=tool_env(REPO), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    jobs = re.findall(r"^(?:local)?rule (sweep\w+):$", proc.stdout, flags=re.M)
    sweeps = yaml.safe_load((REPO / "params.yaml").read_text())["sweeps"]

    def points(stage: str) -> int:
        return sum(math.prod(len(values) for values in sweep["grid"].values())
                   for sweep in sweeps.values() if sweep["stage"] == stage)

    assert jobs.count("sweep_tense_point") == points("tense") and points("tense") > 0
    assert jobs.count("sweep_sentence_vae_point") == points("sentence_vae") > 0
    assert jobs.count("sweep_parent") == len(sweeps) == jobs.count("sweep_summary")
    assert jobs.count("sweep_tense_tradeoff") == 1  # the trade-off plot of tense_kl_weight


def test_two_points_train_under_one_parent_run(tmp_path):
    copy = make_pipeline_copy(tmp_path / "repo")
    copy.set_params({"sweeps": {"schedules": {"stage": "tense", "grid": {"kl.kind": ["monotonic", "cyclical"]}}}})
    params = copy.root / "params.yaml"
    # Only the sweep under test: drop the default ones from the copy.
    loaded = yaml.safe_load(params.read_text())
    loaded["sweeps"] = {"schedules": loaded["sweeps"]["schedules"]}
    params.write_text(yaml.safe_dump(loaded, sort_keys=False))
    copy.run("snakemake", "--cores", "2", "sweeps")

    summary = pd.read_csv(copy.root / "results/sweeps/schedules/summary.csv")
    assert sorted(summary["point"]) == ["kl.kind=cyclical", "kl.kind=monotonic"]
    client = MlflowClient(copy.env["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("reviewgen-tense_cvae")
    runs = client.search_runs([experiment.experiment_id])
    (parent,) = [r for r in runs if r.data.tags.get("sweep_role") == "parent"]
    children = [r for r in runs if r.data.tags.get("sweep_role") == "point"]
    assert parent.info.status == "FINISHED" and len(children) == 2
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert {c.data.tags["sweep_point"] for c in children} == set(summary["point"])
    assert {c.data.params["tense.kl.kind"] for c in children} == {"monotonic", "cyclical"}
    assert all("bleu_heldout" in c.data.metrics for c in children)
