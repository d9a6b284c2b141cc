"""Many nodes, one MLflow: two training stages at once log to a tracking server over HTTP, as jobs on
different cluster nodes would, and every per-epoch and final metric arrives."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import make_pipeline_copy

pytestmark = pytest.mark.e2e

ARCHS = ("gru", "rnn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"mlflow server exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"mlflow server did not answer within {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An MLflow tracking server with its own SQLite store and artifact directory; killed afterwards."""
    root = tmp_path_factory.mktemp("mlflow-server")
    url = f"http://127.0.0.1:{free_port()}"
    log = root / "server.log"
    command = [str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1",
               "--port", url.rsplit(":", 1)[1], "--workers", "1",
               "--backend-store-uri", f"sqlite:///{root / 'server.db'}",
               "--artifacts-destination", str(root / "artifacts")]
    with open(log, "w") as out:
        # Its own process group: the server forks workers, and all of them go at the end.
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_healthy(url, proc, log)
        yield url, root
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def trained(server, tmp_path_factory):
    """Two char LMs trained at once against the server, from a tiny pipeline copy's data."""
    url, _ = server
    copy = make_pipeline_copy(tmp_path_factory.mktemp("mlflow-client") / "repo")
    copy.run("dvc", "repro", "build_vocab")
    env = dict(copy.env, MLFLOW_TRACKING_URI=url, OMP_NUM_THREADS="1")
    procs = {}
    for arch in ARCHS:
        outs = {kind: f"results/{kind}/charlm-{arch}.{ext}"
                for kind, ext in [("models", "pt"), ("metrics", "json"), ("histories", "csv"), ("samples", "txt")]}
        procs[arch] = subprocess.Popen(
            ["python", "workflow/scripts/train_charlm.py", "--arch", arch,
             "--sentences", "data/processed/sentences.parquet", "--vocab", "data/processed/vocab_chars.json",
             "--model-out", outs["models"], "--metrics-out", outs["metrics"], "--history-out", outs["histories"],
             "--samples-out", outs["samples"], "--checkpoint", f"results/checkpoints/charlm-{arch}.pt",
             "--onnx-out", f"results/models/charlm-{arch}-onnx"],
            cwd=copy.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for arch, proc in procs.items():
        output, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"train_charlm --arch {arch} failed:\n{output}"
    return copy


def logged(client: MlflowClient, run_id: str, key: str) -> dict[int, float]:
    return {m.step: m.value for m in client.get_metric_history(run_id, key)}


def test_both_runs_reach_the_server_finished(server, trained):
    client = MlflowClient(server[0])
    experiment = client.get_experiment_by_name("reviewgen-charlm")
    runs = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {f"charlm-{arch}" for arch in ARCHS}
    assert {run.info.status for run in runs.values()} == {"FINISHED"}


def test_every_epoch_and_final_metric_is_logged(server, trained):
    client = MlflowClient(server[0])
    for arch in ARCHS:
        metrics = json.loads((trained.root / f"results/metrics/charlm-{arch}.json").read_text())
        run_id = metrics["mlflow_run_id"]
        with open(trained.root / f"results/histories/charlm-{arch}.csv") as handle:
            history = list(csv.DictReader(handle))
        assert history
        for row in history:
            epoch = int(row.pop("epoch"))
            for key, value in row.items():
                assert logged(client, run_id, key)[epoch] == pytest.approx(float(value)), (arch, key, epoch)
        finals = {k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        assert finals
        for key, value in finals.items():
            assert logged(client, run_id, key)[0] == pytest.approx(value), (arch, key)


def test_artifacts_land_in_the_server_store(server, trained):
    _, root = server
    stored = {path.name for path in (root / "artifacts").rglob("*") if path.is_file()}
    for arch in ARCHS:
        assert {f"charlm-{arch}.json", f"charlm-{arch}.csv", f"charlm-{arch}.txt", f"charlm-{arch}.pt"} <= stored


def test_experiments_are_model_training_with_source_dataset_and_registered_model(server, trained):
    client = MlflowClient(server[0])
    experiment = client.get_experiment_by_name("reviewgen-charlm")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    for run in client.search_runs([experiment.experiment_id]):
        tags = run.data.tags
        assert tags["mlflow.source.name"] == "workflow/scripts/train_charlm.py" and tags["mlflow.user"]
        assert tags["mlflow.source.git.commit"] == tags["git_commit"]
        names = {d.dataset.name for d in run.inputs.dataset_inputs}
        assert names == {"sentences.parquet", "vocab_chars.json"}
        (version,) = client.search_model_versions(f"name='reviewgen-{run.info.run_name}'")
        assert version.run_id == run.info.run_id


# The runs table's text once every run is listed (MLflow's UI renders its tables with ag-grid).
RUNS_TABLE_TEXT = """(() => {
  const rows = [...document.querySelectorAll('.ag-center-cols-container .ag-row')];
  const text = document.body ? document.body.innerText : '';
  return %s.every(name => text.includes(name)) && rows.length > 0 && text;
})()"""


def test_mlflow_ui_opens_on_the_runs_table_with_dataset_source_and_model(server, trained, tmp_path):
    from tests.workflow.test_report_html import CHROMIUM, INSTALL_HINT, Chromium

    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}")
        pytest.skip(f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}")
    url = server[0]
    experiment = MlflowClient(url).get_experiment_by_name("reviewgen-charlm")
    browser = Chromium(CHROMIUM, tmp_path / "chromium-profile", tmp_path / "chromium.log")
    try:
        # MLflow 3's UI chooses between its GenAI and model-training views with a global switch (the
        # `workflowType` query parameter, remembered in the browser), not with the experiment-kind tag alone.
        browser.open(f"{url}/#/experiments/{experiment.experiment_id}?workflowType=machine_learning")
        names = [f"charlm-{arch}" for arch in ARCHS]
        browser.wait_for(RUNS_TABLE_TEXT % json.dumps(names), "the runs table to list both runs")
        # The Dataset, Source and Models cells fill in from later requests than the rows themselves (the
        # models from a registry search), so wait for every cell the assertions read, not only the rows.
        cells = ["sentences.parquet", "train_charlm.py", *(f"reviewgen-{name}" for name in names)]
        try:
            text = browser.wait_for(RUNS_TABLE_TEXT % json.dumps(cells), "the runs table's cells")
        except TimeoutError:
            text = browser.evaluate("document.body.innerText")  # the assertions below say which is missing
        browser.screenshot(tmp_path / "mlflow-runs.png")
        location = browser.evaluate("window.location.href")
    finally:
        browser.close()
    assert "/runs" in location or "traces" not in location, location  # not the GenAI overview
    assert "sentences.parquet" in text, "Dataset column empty"
    assert "train_charlm.py" in text, "Source column empty"
    assert all(f"reviewgen-{name}" in text for name in names), "Models column without the registered models"
