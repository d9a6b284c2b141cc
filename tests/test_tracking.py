"""MLflow tracking against throwaway SQLite stores under tmp_path.

Creating a store runs MLflow's schema migrations (seconds), so most tests share one store (the
`mlflow_store` fixture) and use their own experiment; the parallel test makes its own fresh store
because the race it checks is the one of several processes creating the schema at once.
"""

import logging
import multiprocessing
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from reviewgen import tracking

SECRET = "fake-spotify-secret-5f2b9c"
PARAM_SECRET = "param-secret-91d3e7"


def runs_of(uri, experiment):
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    return client, client.search_runs([exp.experiment_id])


def test_tracking_uri_defaults_to_the_repo_database(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.tracking_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert tracking.tracking_uri(tmp_path) == "http://mlflow.example:5000"


def test_flatten_params_dots_keys_and_drops_secrets(monkeypatch):
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", SECRET)
    nested = {
        "wordlm": {"optim": {"lr": 0.1}, "layers": [1, 2], "max_tokens": 50, "unk_token": "<unk>"},
        "tokenizer": {"min_token_freq": 2},
        "spotify": {"client_id": "abc123", "clientSecret": "x", "credentials": {"user": "u"}},
        "hf_token": "t0k",
        "API_KEY": "k",
        "innocent": SECRET,  # a secret under an innocent name is caught by its value
    }
    assert tracking.flatten_params(nested) == {
        "wordlm.optim.lr": "0.1",
        "wordlm.layers": "[1, 2]",
        "wordlm.max_tokens": "50",
        "wordlm.unk_token": "<unk>",
        "tokenizer.min_token_freq": "2",
    }


@pytest.mark.parametrize("key", ["password", "db.Password", "access_token", "my-api-key", "SPOTIPY_CLIENT_ID",
                                 "spotify.clientSecret"])
def test_secret_keys(key):
    assert tracking.is_secret_key(key)


def test_run_tags_name_the_orchestrator(monkeypatch, tmp_path):
    names = ("REVIEWGEN_ORCHESTRATOR", "DVC_ROOT", "DVC_EXP_NAME", "DVC_EXP_BASELINE_REV", "SLURM_JOB_ID")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # not a git checkout
    tags = tracking.run_tags("cpu")
    assert tags["orchestrator"] == "manual" and tags["git_commit"] == "unknown" and tags["device"] == "cpu"
    assert "slurm_job_id" not in tags and tags["hostname"]
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    tags = tracking.run_tags("cuda:0")
    assert (tags["orchestrator"], tags["slurm_job_id"], tags["device"]) == ("dvc", "4242", "cuda:0")
    monkeypatch.setenv("REVIEWGEN_ORCHESTRATOR", "snakemake")
    assert tracking.run_tags("cpu")["orchestrator"] == "snakemake"


def test_run_tags_record_the_git_commit(monkeypatch, tmp_path):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", tracking.run_tags("cpu")["git_commit"])


def test_run_tags_fill_mlflow_source_user_and_dvc_experiment(monkeypatch, tmp_path):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_EXP_NAME", raising=False)
    monkeypatch.setattr("sys.argv", [str(tmp_path / "workflow" / "scripts" / "train_wordlm.py")])
    tags = tracking.run_tags("cpu")
    assert tags["mlflow.source.git.commit"] == tags["git_commit"] != "unknown"
    assert tags["mlflow.source.name"] == "workflow/scripts/train_wordlm.py"
    assert tags["mlflow.source.type"] == "LOCAL" and tags["mlflow.user"]
    assert "dvc_experiment" not in tags
    monkeypatch.setenv("DVC_EXP_NAME", "fuzzy-lamb")  # what DVC exports to the stages of `dvc exp run`
    assert tracking.run_tags("cpu")["dvc_experiment"] == "fuzzy-lamb"


def test_experiments_are_model_training_experiments(mlflow_store):
    uri, _ = mlflow_store
    client = MlflowClient(uri)
    with tracking.start_run("kind-new", "x", {}, {}, tracking_uri=uri):
        pass
    assert client.get_experiment_by_name("kind-new").tags["mlflow.experimentKind"] == "custom_model_development"
    # An experiment created before the kind was set, or that the UI guessed to be GenAI, is corrected.
    old = client.create_experiment("kind-old", tags={"mlflow.experimentKind": "genai_development"})
    with tracking.start_run("kind-old", "x", {}, {}, tracking_uri=uri):
        pass
    assert client.get_experiment(old).tags["mlflow.experimentKind"] == "custom_model_development"


def test_datasets_are_run_inputs_with_the_given_digest(mlflow_store, tmp_path):
    uri, _ = mlflow_store
    data = tmp_path / "sentences.parquet"
    data.write_bytes(b"rows")
    with tracking.start_run("datasets", "x", {}, {}, tracking_uri=uri) as run:
        run.log_datasets({str(data): "ab" * 32})
    [logged] = MlflowClient(uri).get_run(run.run_id).inputs.dataset_inputs
    assert (logged.dataset.name, logged.dataset.digest) == ("sentences.parquet", ("ab" * 32)[:36])
    assert data.as_uri() in logged.dataset.source
    assert [(t.key, t.value) for t in logged.tags] == [("mlflow.data.context", "training")]


def test_a_dataset_registered_by_another_run_at_the_same_moment_is_linked(mlflow_store, tmp_path):
    """Two stages of one experiment logging the same file at once: the later insert fails on the store's
    unique key (the error MLflow's server returned in CI); the run still gets the dataset as its input."""
    uri, _ = mlflow_store
    data = tmp_path / "sentences.parquet"
    data.write_bytes(b"rows")
    with tracking.start_run("datasets-race", "first", {}, {}, tracking_uri=uri) as first:
        first.log_datasets({str(data): "cd" * 32})
    with tracking.start_run("datasets-race", "second", {}, {}, tracking_uri=uri) as second:
        real, calls = second.client.log_inputs, []

        def collides_once(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("BAD_REQUEST: (sqlite3.IntegrityError) UNIQUE constraint failed: "
                                   "datasets.experiment_id, datasets.name, datasets.digest")
            return real(*args, **kwargs)

        second.client.log_inputs = collides_once
        second.log_datasets({str(data): "cd" * 32})
    assert len(calls) == 2
    [logged] = MlflowClient(uri).get_run(second.run_id).inputs.dataset_inputs
    assert (logged.dataset.name, logged.dataset.digest) == ("sentences.parquet", ("cd" * 32)[:36])


def test_log_datasets_does_not_swallow_other_errors(mlflow_store, tmp_path):
    uri, _ = mlflow_store
    with tracking.start_run("datasets-error", "x", {}, {}, tracking_uri=uri) as run:
        def refuses(*args, **kwargs):
            raise ValueError("INVALID_PARAMETER_VALUE: digest too long")

        run.client.log_inputs = refuses
        with pytest.raises(ValueError, match="digest too long"):
            run.log_datasets({str(tmp_path / "x.json"): "ef" * 32})


def test_run_logs_params_metrics_artifacts_and_no_secret(mlflow_store, tmp_path, monkeypatch):
    uri, root = mlflow_store
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", SECRET)
    params = {"wordlm": {"lr": 0.1, "hidden": 8}, "spotify": {"client_secret": PARAM_SECRET}}
    report = tmp_path / "report.json"
    report.write_text('{"bleu": 0.1}')
    tags = {"device": "cpu", "env": SECRET}
    with tracking.start_run("basic", "wordlm", params, tags, tracking_uri=uri) as run:
        for epoch in (1, 2, 3):
            run.log_metrics({"valid_loss": 1.0 / epoch, "train_loss": 2.0 / epoch}, step=epoch)
        run.log_artifact(report, artifact_path="reports")
        run.log_dict({"a": 1}, "config.json")
    client, [logged] = runs_of(uri, "basic")
    assert logged.info.run_id == run.run_id and logged.info.status == "FINISHED"
    assert logged.data.params == {"wordlm.lr": "0.1", "wordlm.hidden": "8"}
    assert logged.data.tags["device"] == "cpu" and "env" not in logged.data.tags
    history = client.get_metric_history(run.run_id, "valid_loss")
    assert sorted((m.step, m.value) for m in history) == [(1, 1.0), (2, 0.5), (3, 1.0 / 3)]
    artifacts = Path(logged.info.artifact_uri.removeprefix("file://"))
    assert (artifacts / "reports" / "report.json").read_text() == '{"bleu": 0.1}'
    assert (artifacts / "config.json").exists()
    assert artifacts.is_relative_to(root)  # beside the database, not in the working directory
    stored = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    assert SECRET.encode() not in stored and PARAM_SECRET.encode() not in stored


def test_failing_block_marks_the_run_failed(mlflow_store):
    uri, _ = mlflow_store
    with pytest.raises(RuntimeError, match="boom"):
        with tracking.start_run("failing", "x", {}, {}, tracking_uri=uri):
            raise RuntimeError("boom")
    _, [logged] = runs_of(uri, "failing")
    assert logged.info.status == "FAILED"


def test_resume_continues_the_same_run(mlflow_store, caplog):
    uri, _ = mlflow_store
    with pytest.raises(KeyboardInterrupt):
        with tracking.start_run("resume", "r", {"lr": 0.1, "device": "cuda"}, {}, tracking_uri=uri) as first:
            first.log_metrics({"loss": 3.0}, step=1)
            raise KeyboardInterrupt
    with tracking.start_run("resume", "r", {"lr": 0.1, "device": "cpu", "extra": 1}, {}, run_id=first.run_id,
                            tracking_uri=uri) as again:
        again.log_metrics({"loss": 2.0}, step=2)
    assert again.run_id == first.run_id
    client, [logged] = runs_of(uri, "resume")
    assert logged.info.status == "FINISHED"
    assert logged.data.params == {"lr": "0.1", "device": "cuda", "extra": "1"}
    assert [m.step for m in client.get_metric_history(first.run_id, "loss")] == [1, 2]
    assert any("device" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_resuming_an_unknown_run_starts_a_new_one(mlflow_store):
    uri, _ = mlflow_store
    with tracking.start_run("lost", "r", {}, {}, run_id="0" * 32, tracking_uri=uri) as run:
        pass
    assert run.run_id != "0" * 32
    _, [logged] = runs_of(uri, "lost")
    assert logged.info.run_id == run.run_id


def test_retry_waits_out_a_locked_database(monkeypatch):
    monkeypatch.setattr(tracking.time, "sleep", lambda seconds: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        return "ok"

    assert tracking.retry(flaky) == "ok" and len(calls) == 3
    with pytest.raises(ValueError):
        tracking.retry(lambda: (_ for _ in ()).throw(ValueError("bad param")))


def test_retry_also_retries_the_errors_a_call_names_and_only_for_that_call(monkeypatch):
    monkeypatch.setattr(tracking.time, "sleep", lambda seconds: None)
    calls = []

    def races_twice():
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("UNIQUE constraint failed: datasets.name")
        return "linked"

    with pytest.raises(RuntimeError, match="UNIQUE"):
        tracking.retry(races_twice)
    assert len(calls) == 1
    assert tracking.retry(races_twice, also=lambda err: "UNIQUE" in str(err)) == "linked" and len(calls) == 3
    with pytest.raises(ValueError):
        tracking.retry(lambda: (_ for _ in ()).throw(ValueError("bad param")), also=lambda err: False)


def log_twenty_steps(uri, name, folder):
    """One of four processes started together on a fresh store."""
    artifact = Path(folder) / f"{name}.txt"
    artifact.write_text(name)
    with tracking.start_run("parallel", name, {"worker": name}, {"worker": name}, tracking_uri=uri) as run:
        for step in range(20):
            run.log_metrics({"loss": 1.0 / (step + 1), "square": float(step * step)}, step=step)
        run.log_artifact(artifact)
    return run.run_id


def test_four_processes_log_into_one_fresh_store(tmp_path):
    uri = f"sqlite:///{tmp_path / 'fresh' / 'mlflow.db'}"
    names = [f"worker{i}" for i in range(4)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        jobs = pool.starmap_async(log_twenty_steps, [(uri, name, str(tmp_path)) for name in names])
        run_ids = jobs.get(timeout=300)
    client, runs = runs_of(uri, "parallel")
    assert sorted(r.info.run_id for r in runs) == sorted(run_ids)
    assert sorted(r.data.params["worker"] for r in runs) == names
    for run in runs:
        assert run.info.status == "FINISHED"
        for key in ("loss", "square"):
            assert sorted(m.step for m in client.get_metric_history(run.info.run_id, key)) == list(range(20))
        name = run.data.params["worker"]
        artifact = Path(run.info.artifact_uri.removeprefix("file://")) / f"{name}.txt"
        assert artifact.read_text() == name
    assert os.path.exists(tmp_path / "fresh" / "mlflow.db")


def test_a_stage_process_sends_no_mlflow_telemetry():
    """A fresh process (no pytest or CI variables, which MLflow reads as 'testing') that imports the
    tracking module gets MLflow's telemetry switched off, unless the user set it."""
    probe = ("import reviewgen.tracking, mlflow; from mlflow.telemetry.utils import is_telemetry_disabled; "
             "print(is_telemetry_disabled())")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "CI", "MLFLOW_DISABLE_TELEMETRY")}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split()[-1] == "True"
    env["MLFLOW_DISABLE_TELEMETRY"] = "false"
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split()[-1] == "False"
