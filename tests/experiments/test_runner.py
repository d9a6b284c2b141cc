"""The one training skeleton on a toy experiment: outputs, best-epoch weights, resume, counted models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from mlflow import MlflowClient

from reviewgen.experiments.lm_data import held_out_nll, token_loss, window_batches
from reviewgen.experiments.runner import Experiment, Fitted, Outcome, train
from reviewgen.models.registry import load_model
from reviewgen.training.trainer import StepOutput, TrainConfig, TrainResult
from tests.experiments.test_charlm import outputs, without_timing

SEQS = [[4, 5, 6, 7, 8], [5, 6, 4], [7, 8, 9, 4, 5, 6], [9, 4]] * 6
HPARAMS = {"vocab_size": 10, "order": 3, "emb_dim": 4, "hidden": 8}


def window_step(model: torch.nn.Module, batch: tuple, ctx) -> StepOutput:
    contexts, targets = batch
    return token_loss(model(contexts), targets)


def toy(epochs: int = 3, epoch_end=None, monitor: str = "valid_loss", mode: str = "min",
        seen: list | None = None) -> Experiment:
    """A feed-forward n-gram on toy windows; its evaluation records what it was handed in ``seen``."""
    train_batches, valid_batches = window_batches(SEQS, HPARAMS["order"], 16)
    config = TrainConfig(epochs=epochs, lr=0.05, optimizer="adam", seed=4, monitor=monitor, monitor_mode=mode,
                         device="cpu", progress=False)

    def evaluate(fitted: Fitted) -> Outcome:
        if seen is not None:
            seen.append(fitted)
        nll, count = held_out_nll(fitted.model, window_step, valid_batches, fitted.device)
        samples = fitted.model.sample(2, 5, 1.0, generator=torch.Generator().manual_seed(0))
        return Outcome({"test_nll": nll / count}, f"# toy\n{samples}\n", extra={"vocab": "toy.json"})

    return Experiment(name="toy-ffngram", family="toy", kind="ffngram", hparams=HPARAMS, params={"toy": {"a": 1}},
                      inputs=[], evaluate=evaluate, config=config, step=window_step, train_batches=train_batches,
                      valid_batches=valid_batches, epoch_end=epoch_end)


def test_a_trained_model_gets_every_output_and_one_finished_run(tracking_store, tmp_path):
    out = outputs(tmp_path, "toy")
    metrics = train(toy(), out)

    assert json.loads(out.metrics.read_text()) == metrics
    assert {"model", "parameters", "epochs", "best_epoch", "seconds_per_epoch", "test_nll", "mlflow_run_id"} <= set(
        metrics)
    assert metrics["model"] == "toy-ffngram" and metrics["epochs"] == 3 and metrics["parameters"] > 0
    assert list(pd.read_csv(out.history)["epoch"]) == [1, 2, 3]
    assert out.samples.read_text().startswith("# toy\n")
    assert not out.checkpoint.exists()
    model, hparams, extra = load_model(out.model)
    assert hparams == HPARAMS and extra["vocab"] == "toy.json"
    assert extra["metrics"] == {k: v for k, v in metrics.items() if k != "mlflow_run_id"}

    client = MlflowClient(tracking_store)
    (run,) = client.search_runs([client.get_experiment_by_name("reviewgen-toy").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_id == metrics["mlflow_run_id"]
    assert run.data.metrics["test_nll"] == pytest.approx(metrics["test_nll"])
    assert [m.step for m in client.get_metric_history(run.info.run_id, "valid_loss")] == [1, 2, 3]


def test_the_evaluation_sees_the_best_epochs_weights_not_the_last(tracking_store, tmp_path):
    scores, snapshots, seen = {1: 0.1, 2: 0.9, 3: 0.4}, {}, []

    def epoch_end(epoch, model):
        snapshots[epoch] = {k: v.clone() for k, v in model.state_dict().items()}
        return {"score": scores[epoch]}

    metrics = train(toy(epoch_end=epoch_end, monitor="score", mode="max", seen=seen), outputs(tmp_path, "toy"))
    (fitted,) = seen
    assert metrics["best_epoch"] == 2 and fitted.result.best_monitor == 0.9 and fitted.best_row["score"] == 0.9
    state = fitted.model.state_dict()
    assert all(torch.equal(state[k], snapshots[2][k]) for k in state)
    assert not all(torch.equal(state[k], snapshots[3][k]) for k in state)
    saved, _, _ = load_model(tmp_path / "toy.pt")
    assert all(torch.equal(saved.state_dict()[k], snapshots[2][k]) for k in state)


def test_a_crashed_run_resumes_its_checkpoint_and_its_mlflow_run(tracking_store, tmp_path):
    clean = train(toy(), outputs(tmp_path / "clean", "toy"))
    out = outputs(tmp_path / "crashed", "toy")

    def crash_in_epoch_2(epoch, model):
        if epoch == 2:
            raise KeyboardInterrupt("killed")
        return {}

    with pytest.raises(KeyboardInterrupt):
        train(toy(epoch_end=crash_in_epoch_2), out)
    assert out.checkpoint.exists() and not out.metrics.exists()
    resumed = train(toy(), out)

    assert without_timing(resumed) == without_timing(clean)
    client = MlflowClient(tracking_store)
    runs = client.search_runs([client.get_experiment_by_name("reviewgen-toy").experiment_id])
    assert len(runs) == 2, "the resumed stage continues the crashed stage's run, not a third one"
    assert resumed["mlflow_run_id"] != clean["mlflow_run_id"]
    assert [m.step for m in client.get_metric_history(resumed["mlflow_run_id"], "valid_loss")] == [1, 2, 3]


def counted(seconds: list[float]) -> Experiment:
    """The count n-gram on the toy sequences: fitted in one pass, no Trainer, no checkpoint."""

    def fit(model) -> TrainResult:
        model.fit(SEQS)
        row = {"epoch": 1, "valid_bits": model.cross_entropy_bits(SEQS, k=0.1), "seconds": seconds[0]}
        return TrainResult([row], best_epoch=None, best_monitor=row["valid_bits"], resumed_from_epoch=None,
                           stopped_early=False, best_state=None)

    def evaluate(fitted: Fitted) -> Outcome:
        samples = fitted.model.sample(3, 8, 1.0, np.random.default_rng(0))
        return Outcome({"parameters": int(fitted.model.state_dict()["counts"].numel())}, f"{samples}\n")

    return Experiment(name="toy-ngram", family="toy", kind="ngram-counts", hparams={"order": 2, "vocab_size": 10},
                      params={}, inputs=[], evaluate=evaluate, fit=fit)


def test_a_counted_model_runs_through_the_same_skeleton(tracking_store, tmp_path):
    out = outputs(tmp_path, "ngram")
    out = type(out)(out.model, out.metrics, out.history, out.samples, None)
    metrics = train(counted([0.25]), out)

    assert "best_epoch" not in metrics and metrics["epochs"] == 1 and metrics["seconds_per_epoch"] == 0.25
    model, hparams, _ = load_model(out.model)
    assert hparams == {"order": 2, "vocab_size": 10}
    # A model without weights reports its own parameters: here one count per distinct bigram.
    assert metrics["parameters"] == len(model.state_dict()["counts"]) > 0
    assert model.cross_entropy_bits(SEQS, k=0.1) == pd.read_csv(out.history)["valid_bits"].iloc[0]
    client = MlflowClient(tracking_store)
    (run,) = client.search_runs([client.get_experiment_by_name("reviewgen-toy").experiment_id])
    assert [m.step for m in client.get_metric_history(run.info.run_id, "valid_bits")] == [1]


def test_an_experiment_is_trained_by_epochs_or_fitted_in_one_pass_not_both(tmp_path):
    exp = toy()
    with pytest.raises(ValueError, match="give config, step"):
        Experiment(name="x", family="x", kind="ffngram", hparams={}, params={}, inputs=[], evaluate=exp.evaluate)
    with pytest.raises(ValueError, match="no Trainer settings"):
        Experiment(name="x", family="x", kind="ffngram", hparams={}, params={}, inputs=[], evaluate=exp.evaluate,
                   config=exp.config, step=exp.step, train_batches=exp.train_batches,
                   valid_batches=exp.valid_batches, fit=lambda model: None)
    with pytest.raises(ValueError, match="needs a checkpoint path"):
        train(exp, type(outputs(tmp_path, "x"))(tmp_path / "x.pt", tmp_path / "x.json", tmp_path / "x.csv",
                                                tmp_path / "x.txt", None))


def test_the_stage_scripts_only_describe_their_experiment():
    """Each training script hands one experiment to the runner: no training logic of its own."""
    scripts = sorted((Path(__file__).parents[2] / "workflow/scripts").glob("train_*.py"))
    assert len(scripts) == 5
    for script in scripts:
        text = script.read_text()
        assert "from reviewgen.experiments.runner import train" in text and text.count("train(") == 1, script
        assert "Trainer" not in text and "tracked_run" not in text and "save_model" not in text, script
