"""A DVC experiment sweep through the queue: `dvc exp run --queue` a learning-rate sweep of one cheap
stage, run it with two local Celery workers, and find both experiments with their metrics in
`dvc exp show` and their MLflow runs in the project's own store."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
from mlflow import MlflowClient

from tests.conftest import PipelineCopy, make_pipeline_copy

pytestmark = pytest.mark.e2e

STAGE = "train_charlm@gru"  # one epoch at tiny scale: the cheapest trained stage
LRS = {0.003, 0.01}
TASK = re.compile(r"^[0-9a-f]{7}\s+(\S+)\s+.*\s(Queued|Running|Success|Failed)\s*$", re.M)


def queue_status(copy: PipelineCopy) -> tuple[dict[str, str], str]:
    """Task name -> status, and the workers line of `dvc queue status`."""
    text = copy.run("dvc", "queue", "status", timeout=120).stdout
    workers = re.search(r"Worker status: .*", text)
    return dict(TASK.findall(text)), workers.group(0) if workers else ""


def start_workers(copy: PipelineCopy) -> None:
    """`dvc queue start -j 2`, its output to a log file: the workers are forked from it and would hold
    a captured pipe open until they exit, so waiting on the pipe would wait for the whole sweep."""
    with (copy.root.parent / "queue-start.log").open("ab") as log:
        subprocess.run(("dvc", "queue", "start", "-j", "2"), cwd=copy.root, env=copy.env, stdout=log,
                       stderr=subprocess.STDOUT, check=True, timeout=120)


def worker_logs(copy: PipelineCopy) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                     for path in sorted((copy.root / ".dvc" / "tmp" / "exps").rglob("*.out")))


def wait_for(copy: PipelineCopy, done, seconds: float, what: str) -> tuple[dict[str, str], str]:
    deadline = time.monotonic() + seconds
    while True:
        status = queue_status(copy)
        if done(*status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {seconds} s: {status}")
        time.sleep(1)


def run_queue(copy: PipelineCopy, seconds: float = 300, restarts: int = 2) -> dict[str, str]:
    """Start the workers and wait until no task is queued or running. A known DVC bug
    (treeverse/dvc#10562) lets the workers exit with tasks still queued; a user starts the queue again,
    and so does this, at most ``restarts`` times, once the queue has sat with no worker for a while."""
    start_workers(copy)
    deadline = time.monotonic() + seconds
    stalled_since = None
    while True:
        tasks, workers = queue_status(copy)
        states = set(tasks.values())
        if tasks and not {"Queued", "Running"} & states:
            return tasks
        if "Queued" in states and "Running" not in states and "0 active, 0 idle" in workers:
            stalled_since = stalled_since or time.monotonic()
            if restarts and time.monotonic() - stalled_since > 20:
                start_workers(copy)
                restarts, stalled_since = restarts - 1, None
        else:
            stalled_since = None
        if time.monotonic() > deadline:
            raise AssertionError(f"the queued experiments not done within {seconds} s: {tasks}, {workers}\n"
                                 f"{worker_logs(copy)}")
        time.sleep(1)


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> tuple[PipelineCopy, dict[str, str]]:
    copy = make_pipeline_copy(tmp_path_factory.mktemp("queue") / "repo")
    # The stages must find the project's store by themselves, as they do outside the tests.
    copy.env.pop("MLFLOW_TRACKING_URI")
    copy.run("dvc", "repro", "build_vocab")
    # The baseline commit carries dvc.lock, so each experiment checks the data out of the cache
    # instead of rebuilding it.
    copy.run("git", "add", "-A")
    copy.run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "data")
    copy.run("dvc", "exp", "run", "--queue", STAGE, "-S", f"charlm.gru.train.lr={','.join(map(str, LRS))}")
    try:
        tasks = run_queue(copy)
    finally:
        # Workers leave by themselves once the queue is empty; never leave them behind a failed test.
        try:
            wait_for(copy, lambda _, workers: "0 active, 0 idle" in workers, 60, "the queue workers to exit")
        except AssertionError:
            copy.run("dvc", "queue", "stop", "--kill", check=False)
            raise
    return copy, tasks


def experiments(copy: PipelineCopy) -> dict[str, dict]:
    """Experiment name -> its revision's data from `dvc exp show --json`."""
    shown = json.loads(copy.run("dvc", "exp", "show", "--json").stdout)
    return {rev["name"]: rev["data"] for baseline in shown for exp in baseline.get("experiments") or []
            for rev in exp["revs"]}


def test_both_experiments_ran(swept):
    _, tasks = swept
    assert len(tasks) == len(LRS)
    assert set(tasks.values()) == {"Success"}, tasks


def test_exp_show_lists_them_with_their_metrics(swept):
    copy, tasks = swept
    shown = experiments(copy)
    assert set(tasks) <= set(shown)
    lrs = set()
    for name in tasks:
        data = shown[name]
        lrs.add(data["params"]["params.yaml"]["data"]["charlm"]["gru"]["train"]["lr"])
        metrics = data["metrics"]["results/metrics/charlm-gru.json"]
        assert "data" in metrics, f"{name}: no metrics in the experiment commit: {metrics}"
        assert metrics["data"]["test_bits_per_char"] > 0
    assert lrs == LRS


def test_mlflow_runs_land_in_the_project_store(swept):
    copy, _ = swept
    # DVC deletes its copies of the workspace; no store may have been made inside them.
    assert list((copy.root / ".dvc" / "tmp").rglob("mlflow.db")) == []
    client = MlflowClient(f"sqlite:///{copy.root / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("reviewgen-charlm")
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'charlm-gru'")
    assert {float(run.data.params["charlm.gru.train.lr"]) for run in runs} == LRS
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert {run.data.tags["orchestrator"] for run in runs} == {"dvc"}
