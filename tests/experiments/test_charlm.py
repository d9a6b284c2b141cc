"""The character-LM training stages end to end on tiny data: outputs, MLflow, determinism, kill -9 resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from reviewgen.config import ConfigError
from reviewgen.experiments.charlm import count_experiment, neural_experiment
from reviewgen.experiments.common import StageOutputs
from reviewgen.experiments.runner import train
from reviewgen.inference.charlm import OnnxCharLM
from reviewgen.models.ngram_counts import CharNGramCounts
from reviewgen.models.registry import load_model
from tests.conftest import REPO

TRAIN = {"lr": 0.01, "optimizer": "adam", "clip_grad": 1.0, "seed": 5}


def config(arch: str, epochs: int = 2, hidden: int = 32, stream: bool = False) -> dict:
    model = {"order": 4, "emb_dim": 8, "hidden": hidden} if arch == "ffngram" else {
        "emb_dim": 8, "hidden": hidden, "layers": 1, "dropout": 0.0}
    return {
        "charlm.data": {"max_chars": 300, "max_train_sentences": None, "seed": 1},
        "charlm.sampling": {"temperatures": [0.5, 1.0], "per_temperature": 2, "max_len": 40},
        f"charlm.{arch}": {"model": model, "batch_size": 16, "train": {**TRAIN, "epochs": epochs},
                           **({"batching": "stream", "bptt": 12} if stream else {})},
        "charlm.ngram": {"order": 3, "add_k": 0.1},
        "runtime": {"device": "cpu", "bf16": False, "progress": False},
    }


def outputs(root: Path, name: str) -> StageOutputs:
    return StageOutputs(root / f"{name}.pt", root / f"{name}.json", root / f"{name}.csv", root / f"{name}.txt",
                        root / f"{name}.ckpt")


def without_timing(metrics: dict) -> dict:
    """What must repeat exactly: everything but wall time and the (per run) MLflow id."""
    timing = ("seconds_per_epoch", "train_tokens_per_second", "mlflow_run_id")
    return {k: v for k, v in metrics.items() if k not in timing}


@pytest.mark.parametrize(("arch", "stream"), [("ffngram", False), ("hand", False), ("gru", False), ("lstm", True)])
def test_neural_stage_trains_logs_and_writes_its_outputs(arch, stream, tiny_data, tracking_store, tmp_path):
    out = outputs(tmp_path, arch)
    cfg = config(arch, epochs=3, stream=stream)
    onnx = tmp_path / f"charlm-{arch}-onnx"
    metrics = train(neural_experiment(arch, cfg, tiny_data["sentences"], tiny_data["chars"], onnx), out)

    # The export is of the kept weights: it decodes greedily what the model file decodes.
    model, _, _ = load_model(out.model)
    exported = OnnxCharLM(onnx)
    assert exported.extra == {"vocab": str(tiny_data["chars"])}
    assert exported.sample(2, 40, 0.0, np.random.default_rng(0)) == model.sample(2, 40, 0.0)
    history = pd.read_csv(out.history)
    assert list(history["epoch"]) == [1, 2, 3]
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert 0 < metrics["test_bits_per_char"] < 8 and metrics["parameters"] > 0
    assert metrics["train_tokens_per_second"] > 0 and metrics["train_tokens_per_epoch"] > 0
    assert json.loads(out.metrics.read_text()) == metrics
    assert out.samples.read_text().count("## temperature") == 2
    assert not out.checkpoint.exists(), "a finished stage leaves no checkpoint to resume from"

    client = MlflowClient(tracking_store)
    (run,) = client.search_runs([client.get_experiment_by_name("reviewgen-charlm").experiment_id])
    assert run.info.status == "FINISHED" and run.data.tags["stage"] == f"charlm-{arch}"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "valid_loss")] == [1, 2, 3]
    assert run.data.metrics["test_bits_per_char"] == pytest.approx(metrics["test_bits_per_char"])
    logged = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {out.history.name, out.samples.name, out.metrics.name} <= logged
    # The model file travels inside a registered MLflow Model, one registry name per model.
    (version,) = client.search_model_versions(f"name='reviewgen-{out.model.stem}'")
    assert version.run_id == run.info.run_id


def test_count_ngram_stage(tiny_data, tracking_store, tmp_path):
    out = outputs(tmp_path, "ngram")
    counts = tmp_path / "charlm-ngram-counts.npz"
    metrics = train(count_experiment(config("lstm"), tiny_data["sentences"], tiny_data["chars"], counts), out)
    assert 0 < metrics["test_bits_per_char"] < 8
    model, _, extra = load_model(out.model)
    loaded, vocab = CharNGramCounts.load_arrays(counts)  # what `reviewgen sample` reads, without torch
    assert vocab == extra["vocab"] == str(tiny_data["chars"])
    assert loaded.sample(4, 30, 1.0, np.random.default_rng(1)) == model.sample(4, 30, 1.0, np.random.default_rng(1))
    assert metrics["valid_bits_per_char"] > pd.read_csv(out.history)["train_bits_per_char"].iloc[0]


@pytest.mark.parametrize("stream", [False, True])
def test_same_params_give_the_same_metrics(stream, tiny_data, tracking_store, tmp_path):
    first, second = (train(neural_experiment("lstm", config("lstm", stream=stream), tiny_data["sentences"],
                                             tiny_data["chars"]), outputs(tmp_path / run, "lstm"))
                     for run in ("a", "b"))
    assert without_timing(first) == without_timing(second)


def run_stage_command(cfg: dict, data: dict, out: StageOutputs) -> list[str]:
    return [sys.executable, str(REPO / "workflow/scripts/train_charlm.py"), "--config-json", json.dumps(cfg),
            "--arch", "hand", "--sentences", str(data["sentences"]), "--vocab", str(data["chars"]),
            "--onnx-out", str(out.model.with_name("charlm-hand-onnx")),
            "--model-out", str(out.model), "--metrics-out", str(out.metrics), "--history-out", str(out.history),
            "--samples-out", str(out.samples), "--checkpoint", str(out.checkpoint)]


def test_stage_killed_mid_training_resumes_to_the_same_metrics(tiny_data, tmp_path):
    cfg = config("hand", epochs=4, hidden=96, stream=True)  # the stream restarts each epoch; resume is exact
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'killed.db'}", OMP_NUM_THREADS="1")
    killed = outputs(tmp_path / "killed", "hand")
    proc = subprocess.Popen(run_stage_command(cfg, tiny_data, killed), env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not killed.checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # during epoch 2: the checkpoint of epoch 1 has just been written
    proc.wait()
    assert not killed.metrics.exists(), "the stage finished before it could be killed; the test proved nothing"
    assert killed.checkpoint.exists()

    subprocess.run(run_stage_command(cfg, tiny_data, killed), env=env, check=True, stderr=subprocess.DEVNULL)
    env_clean = dict(env, MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'clean.db'}")
    clean = outputs(tmp_path / "clean", "hand")
    subprocess.run(run_stage_command(cfg, tiny_data, clean), env=env_clean, check=True, stderr=subprocess.DEVNULL)

    resumed_metrics, clean_metrics = (json.loads(o.metrics.read_text()) for o in (killed, clean))
    assert without_timing(resumed_metrics) == without_timing(clean_metrics)
    columns = ["epoch", "train_loss", "valid_loss"]
    pd.testing.assert_frame_equal(pd.read_csv(killed.history)[columns], pd.read_csv(clean.history)[columns])
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    runs = client.search_runs([client.get_experiment_by_name("reviewgen-charlm").experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED", "the resumed stage continues its MLflow run"
    assert [m.step for m in client.get_metric_history(runs[0].info.run_id, "valid_loss")] == [1, 2, 3, 4]


def test_an_architecture_named_by_the_user_is_built_from_its_cell(tiny_data):
    gru = neural_experiment("gru", config("gru"), tiny_data["sentences"], tiny_data["chars"])
    cfg = config("gru")
    cfg["charlm.gru_wide"] = {**cfg.pop("charlm.gru"), "cell": "gru"}
    wide = neural_experiment("gru_wide", cfg, tiny_data["sentences"], tiny_data["chars"])
    assert (wide.name, wide.kind, wide.hparams) == ("charlm-gru_wide", "charlm", gru.hparams)
    ff = config("ffngram")
    ff["charlm.ff4"] = {**ff.pop("charlm.ffngram"), "cell": "ffngram"}
    assert neural_experiment("ff4", ff, tiny_data["sentences"], tiny_data["chars"]).kind == "ffngram"
    del cfg["charlm.gru_wide"]["cell"]
    with pytest.raises(ConfigError, match="'charlm.gru_wide' needs a cell"):
        neural_experiment("gru_wide", cfg, tiny_data["sentences"], tiny_data["chars"])
