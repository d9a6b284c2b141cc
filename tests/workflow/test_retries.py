"""A training job killed mid-run heals itself: Snakemake retries it, the trainer resumes from its
checkpoint, and the run ends with the metrics of an uninterrupted run, in the same MLflow run.

The process is killed here, locally; on a cluster the profile's `retries` does the same for a job that
Slurm cancels (see slurm/config.yaml)."""

from __future__ import annotations

import json
import threading
import time

import psutil
import pytest
from mlflow import MlflowClient

from tests.conftest import make_pipeline_copy

pytestmark = pytest.mark.e2e

TARGET = "results/metrics/wordlm.json"


def kill_after_first_checkpoint(root, killed: list[int], stop: threading.Event) -> None:
    """Kill the wordlm trainer of this copy (found by its script and checkpoint path) once it has
    checkpointed an epoch, so it dies with epochs left to run."""
    checkpoint = root / "results/checkpoints/wordlm.pt"
    while not stop.is_set() and not killed:
        if checkpoint.exists():
            for proc in psutil.process_iter(["pid", "cmdline"]):
                cmdline = " ".join(proc.info["cmdline"] or [])
                if "train_wordlm.py" in cmdline and str(checkpoint.relative_to(root)) in cmdline \
                        and proc.cwd() == str(root):
                    proc.kill()
                    killed.append(proc.pid)
                    return
        time.sleep(0.05)


def test_killed_training_job_is_retried_and_resumes(tmp_path):
    copy = make_pipeline_copy(tmp_path / "repo")
    copy.set_params({"wordlm": {"train": {"epochs": 3}}})
    reference = make_pipeline_copy(tmp_path / "reference")
    reference.set_params({"wordlm": {"train": {"epochs": 3}}})
    killed: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=kill_after_first_checkpoint, args=(copy.root, killed, stop))
    watcher.start()
    try:
        proc = copy.run("snakemake", "--cores", "2", "--retries", "1", TARGET)
    finally:
        stop.set()
        watcher.join()
    assert killed, "the trainer finished before it could be killed"
    assert "resuming" in (proc.stdout + proc.stderr)
    reference.run("snakemake", "--cores", "2", TARGET)

    metrics, expected = (json.loads((c.root / TARGET).read_text()) for c in (copy, reference))
    timeless = [{k: v for k, v in m.items() if "second" not in k and k != "mlflow_run_id"}
                for m in (metrics, expected)]
    assert timeless[0] == timeless[1]
    history, expected_history = ((c.root / "results/histories/wordlm.csv").read_text().splitlines()
                                 for c in (copy, reference))
    assert [row.split(",")[:3] for row in history] == [row.split(",")[:3] for row in expected_history]

    client = MlflowClient(copy.env["MLFLOW_TRACKING_URI"])
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = [run for run in client.search_runs(experiments) if run.data.tags.get("stage") == "wordlm"]
    assert [run.info.run_id for run in runs] == [metrics["mlflow_run_id"]]
