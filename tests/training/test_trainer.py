"""The trainer on a tiny classifier: 64 training rows, 4 batches per epoch, milliseconds per epoch.

The model has dropout and a checkpointed schedule whose value scales the loss, so a resume that forgot
the RNG state or the schedule would end with different numbers than an uninterrupted run.
"""

import logging
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reviewgen.config import ConfigError
from reviewgen.training.trainer import StepOutput, TrainConfig, Trainer

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]


class Decay:
    """Stands in for KL annealing / teacher forcing: state the trainer must checkpoint."""

    def __init__(self):
        self.steps = 0

    def step(self):
        self.steps += 1

    @property
    def value(self):
        return 1.0 / (1.0 + 0.05 * self.steps)

    def state_dict(self):
        return {"steps": self.steps}

    def load_state_dict(self, state):
        self.steps = state["steps"]


class FakeTracker:
    def __init__(self, run_id="run-1"):
        self.run_id = run_id
        self.logged = []

    def log_metrics(self, metrics, step):
        self.logged.append((step, dict(metrics)))


def make_data():
    g = torch.Generator().manual_seed(123)
    x = torch.randn(96, 6, generator=g)
    y = (x @ torch.randn(6, 3, generator=g)).argmax(1)
    return x[:64], y[:64], x[64:], y[64:]


def build(tmp_path, *, epochs=4, hook=None, tracker=None, hidden=16, hparams=None, **overrides):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, hidden), nn.Tanh(), nn.Dropout(0.2), nn.Linear(hidden, 3))
    settings = {"epochs": epochs, "lr": 0.05, "optimizer": "adam", "seed": 3, "progress": False, **overrides}
    xt, yt, xv, yv = make_data()

    def step_fn(model, batch, ctx):
        if hook is not None:
            hook(ctx)
        x, y = batch
        logits = model(x)
        nll = F.cross_entropy(logits, y, reduction="sum")
        if ctx.training:
            ctx.state["decay"].step()
        correct = (logits.argmax(1) == y).sum().item()
        metrics = {"nll": nll.item(), "acc": correct}
        return StepOutput(nll / len(y) * ctx.state["decay"].value, len(y), metrics)

    def train_batches(epoch, generator):
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(order), 16):
            yield xt[order[start : start + 16]], yt[order[start : start + 16]]

    def valid_batches():
        return [(xv[i : i + 16], yv[i : i + 16]) for i in range(0, len(xv), 16)]

    return Trainer(model, TrainConfig(**settings), Path(tmp_path) / "ckpt.pt", step_fn, train_batches,
                   valid_batches, state={"decay": Decay()}, tracker=tracker,
                   hparams=hparams or {"hidden": hidden})


def numbers(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def warnings_in(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


class Interrupt(Exception):
    pass


def interrupt_in_epoch_3(ctx):
    if ctx.training and ctx.epoch == 3 and ctx.global_step == 10:
        raise Interrupt


def test_loss_goes_down(tmp_path):
    result = build(tmp_path, epochs=6).fit()
    history = result.history
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5, 6]
    assert history[-1]["train_nll"] < 0.8 * history[0]["train_nll"]
    assert history[-1]["valid_loss"] < history[0]["valid_loss"]
    assert {"train_loss", "valid_loss", "lr", "seconds", "train_acc", "valid_nll"} <= set(history[0])
    assert 0 <= history[-1]["valid_acc"] <= 1
    assert result.best_epoch is not None and result.resumed_from_epoch is None


def test_two_fresh_runs_are_identical(tmp_path):
    a, b = build(tmp_path / "a"), build(tmp_path / "b")
    ra, rb = a.fit(), b.fit()
    assert numbers(ra.history) == numbers(rb.history)
    assert same_weights(a.model.state_dict(), b.model.state_dict())


@pytest.mark.parametrize("scheduler", ["none", "step", "cosine", "plateau"])
def test_resume_after_a_crash_equals_an_uninterrupted_run(tmp_path, scheduler):
    whole = build(tmp_path / "whole", scheduler=scheduler)
    expected = whole.fit()
    crashed = build(tmp_path / "resumed", scheduler=scheduler, hook=interrupt_in_epoch_3)
    with pytest.raises(Interrupt):
        crashed.fit()
    resumed = build(tmp_path / "resumed", scheduler=scheduler)
    result = resumed.fit()
    assert result.resumed_from_epoch == 2
    assert numbers(result.history) == numbers(expected.history)
    assert same_weights(resumed.model.state_dict(), whole.model.state_dict())
    assert same_weights(result.best_state, expected.best_state)
    assert resumed.state["decay"].steps == whole.state["decay"].steps == 16
    assert resumed.optimizer.param_groups[0]["lr"] == whole.optimizer.param_groups[0]["lr"]


KILLED_RUN = """
import importlib.util, os, signal, sys
spec = importlib.util.spec_from_file_location("trainer_tests", sys.argv[1])
tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tests)

def kill_in_epoch_3(ctx):
    if ctx.training and ctx.epoch == 3 and ctx.global_step == 10:
        os.kill(os.getpid(), signal.SIGKILL)

tests.build(sys.argv[2], hook=kill_in_epoch_3, tracker=tests.FakeTracker("run-killed")).fit()
"""


def test_resume_after_kill_9_equals_an_uninterrupted_run(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", KILLED_RUN, __file__, str(tmp_path / "killed")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    whole = build(tmp_path / "whole")
    expected = whole.fit()
    resumed = build(tmp_path / "killed", tracker=FakeTracker("run-killed"))
    assert resumed.resume_run_id() == "run-killed"
    result = resumed.fit()
    assert result.resumed_from_epoch == 2
    assert numbers(result.history) == numbers(expected.history)
    assert same_weights(resumed.model.state_dict(), whole.model.state_dict())
    assert [step for step, _ in resumed.tracker.logged] == [3, 4]


def test_tracker_gets_every_epoch_and_its_run_id_is_checkpointed(tmp_path):
    tracker = FakeTracker("run-42")
    result = build(tmp_path, epochs=3, tracker=tracker).fit()
    assert [step for step, _ in tracker.logged] == [1, 2, 3]
    assert tracker.logged[0][1]["valid_loss"] == result.history[0]["valid_loss"]
    assert "epoch" not in tracker.logged[0][1]
    assert build(tmp_path, epochs=3).resume_run_id() == "run-42"


def test_truncated_checkpoint_warns_and_restarts(tmp_path, caplog):
    with pytest.raises(Interrupt):
        build(tmp_path, hook=interrupt_in_epoch_3).fit()
    path = tmp_path / "ckpt.pt"
    path.write_bytes(path.read_bytes()[:1000])
    fresh = build(tmp_path / "fresh").fit()
    result = build(tmp_path).fit()
    [message] = warnings_in(caplog)
    assert "unreadable" in message and "\n" not in message
    assert result.resumed_from_epoch is None
    assert numbers(result.history) == numbers(fresh.history)


def test_checkpoint_of_another_config_warns_and_restarts(tmp_path, caplog):
    with pytest.raises(Interrupt):
        build(tmp_path, hook=interrupt_in_epoch_3).fit()
    result = build(tmp_path, lr=0.01).fit()
    [message] = warnings_in(caplog)
    assert "different config" in message
    assert result.resumed_from_epoch is None and len(result.history) == 4


def test_checkpoint_with_wrong_shapes_warns_and_restarts_cleanly(tmp_path, caplog):
    with pytest.raises(Interrupt):
        build(tmp_path, hook=interrupt_in_epoch_3).fit()
    # Same declared hyperparameters, different architecture: passes the fingerprint, fails to load.
    result = build(tmp_path, hidden=8, hparams={"hidden": 16}).fit()
    [message] = warnings_in(caplog)
    assert "incompatible" in message and "\n" not in message
    fresh = build(tmp_path / "fresh", hidden=8, hparams={"hidden": 16}).fit()
    assert result.resumed_from_epoch is None
    assert numbers(result.history) == numbers(fresh.history)


def test_finished_checkpoint_returns_without_training(tmp_path):
    first = build(tmp_path, epochs=2).fit()
    again = build(tmp_path, epochs=2, hook=lambda ctx: pytest.fail("trained again"))
    result = again.fit()
    assert result.resumed_from_epoch == 2 and numbers(result.history) == numbers(first.history)


def constant_valid_trainer(tmp_path, patience):
    """Validation loss never improves after epoch 1, so early stopping has to fire."""
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    x = torch.randn(8, 2)

    def step_fn(model, batch, ctx):
        out = model(batch).pow(2).mean()
        return StepOutput(out if ctx.training else out * 0 + 1.0, 1.0)

    config = TrainConfig(epochs=10, lr=0.01, optimizer="sgd", early_stopping_patience=patience,
                         progress=False)
    return Trainer(model, config, tmp_path / "ckpt.pt", step_fn, lambda e, g: [x], lambda: [x])


def test_early_stopping_and_its_counter_survive_a_restart(tmp_path):
    result = constant_valid_trainer(tmp_path, patience=2).fit()
    assert result.stopped_early and result.best_epoch == 1
    assert len(result.history) == 3
    again = constant_valid_trainer(tmp_path, patience=2).fit()
    assert again.stopped_early and len(again.history) == 3 and again.resumed_from_epoch == 3


def test_clip_grad_bounds_each_update(tmp_path):
    def moved(**overrides):
        trainer = build(tmp_path / str(overrides), epochs=1, optimizer="sgd", lr=1.0, **overrides)
        before = [p.detach().clone() for p in trainer.model.parameters()]
        trainer.fit()
        deltas = [p.detach() - b for p, b in zip(trainer.model.parameters(), before, strict=True)]
        return torch.linalg.vector_norm(torch.cat([d.flatten() for d in deltas])).item()

    # SGD with lr 1: four steps, each moving the weights by at most the clipped gradient norm.
    assert moved(clip_grad=1e-3) <= 4e-3 * (1 + 1e-4)
    assert moved(clip_grad=None) > 4e-3


def test_step_scheduler_halves_the_lr_each_epoch(tmp_path):
    result = build(tmp_path, epochs=3, scheduler="step", step_size=1, gamma=0.5).fit()
    assert [row["lr"] for row in result.history] == [0.05, 0.025, 0.0125]


def test_non_finite_loss_stops_with_a_clear_error(tmp_path):
    def step_fn(model, batch, ctx):
        return StepOutput(model(batch).sum() * float("nan"), 1.0)

    config = TrainConfig(epochs=1, lr=0.1, optimizer="sgd", progress=False)
    trainer = Trainer(nn.Linear(2, 1), config, tmp_path / "c.pt", step_fn, lambda e, g: [torch.ones(1, 2)],
                      lambda: [torch.ones(1, 2)])
    with pytest.raises(FloatingPointError, match="epoch 1"):
        trainer.fit()


def test_config_from_params():
    cfg = TrainConfig.from_params({"epochs": 3, "lr": 1, "optimizer": "adamw", "clip_grad": None,
                                   "scheduler": "cosine", "early_stopping_patience": 2})
    assert (cfg.epochs, cfg.lr, cfg.clip_grad, cfg.scheduler, cfg.early_stopping_patience) == (
        3, 1.0, None, "cosine", 2)
    assert TrainConfig.from_params({"epochs": 1, "lr": 0.1, "optimizer": "sgd"}).clip_grad == 1.0
    with pytest.raises(ConfigError, match="wordlm.train.optimizer"):
        TrainConfig.from_params({"epochs": 1, "lr": 0.1, "optimizer": "lbfgs"}, where="wordlm.train")
    with pytest.raises(ConfigError, match="early_stoping"):
        TrainConfig.from_params({"epochs": 1, "lr": 0.1, "optimizer": "sgd", "early_stoping_patience": 2})


def test_monitor_picks_the_best_epoch_by_an_epoch_end_metric(tmp_path):
    """With monitor=score (max), the best state is the epoch with the highest score, not the lowest loss."""
    scores = {1: 0.2, 2: 0.9, 3: 0.5}
    trainer = build(tmp_path, epochs=3, monitor="score", monitor_mode="max")
    trainer.epoch_end = lambda epoch, model: {"score": scores[epoch]}
    result = trainer.fit()
    assert result.best_epoch == 2 and result.best_monitor == 0.9


def test_unloadable_checkpoint_does_not_hand_over_its_run_id(tmp_path, caplog):
    with pytest.raises(Interrupt):
        build(tmp_path, hook=interrupt_in_epoch_3, tracker=FakeTracker("run-old")).fit()
    assert build(tmp_path).resume_run_id() == "run-old"
    # Passes the fingerprint, fails to load: the new run must be a fresh one, not "run-old".
    trainer = build(tmp_path, hidden=8, hparams={"hidden": 16})
    assert trainer.resume_run_id() is None
    fresh = build(tmp_path / "fresh", hidden=8, hparams={"hidden": 16}).fit()
    result = trainer.fit()
    assert result.resumed_from_epoch is None
    assert numbers(result.history) == numbers(fresh.history)
    assert any("incompatible" in m for m in warnings_in(caplog))


@pytest.mark.parametrize("cpu_bf16", [False, True])
def test_cpu_bf16_autocasts_the_steps_on_cpu(tmp_path, cpu_bf16, monkeypatch):
    # As on a CPU with native bf16 (the linear model autocasts anywhere; oneDNN's LSTM would not).
    monkeypatch.setattr("reviewgen.training.trainer.cpu_has_native_bf16", lambda: True)
    dtypes = set()
    trainer = build(tmp_path, epochs=1, device="cpu", cpu_bf16=cpu_bf16)
    inner = trainer.step_fn

    def recording(model, batch, ctx):
        dtypes.add(model[0](batch[0]).dtype)
        return inner(model, batch, ctx)

    trainer.step_fn = recording
    trainer.fit()
    assert dtypes == {torch.bfloat16 if cpu_bf16 else torch.float32}
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())  # weights stay float32
    assert TrainConfig.from_params({"epochs": 1, "lr": 0.1, "optimizer": "sgd", "cpu_bf16": True}).cpu_bf16


def test_cpu_bf16_falls_back_to_float32_on_a_cpu_without_native_bf16(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("reviewgen.training.trainer.cpu_has_native_bf16", lambda: False)
    trainer = build(tmp_path, epochs=1, device="cpu", cpu_bf16=True)
    assert not trainer.bf16
    assert any("no native bf16" in m and "float32" in m for m in warnings_in(caplog))


def test_an_lstm_trains_under_cpu_bf16_on_whatever_cpu_runs_the_suite(tmp_path):
    """oneDNN's LSTM refuses bf16 on a CPU without it: the setting must fall back, not crash."""
    torch.manual_seed(0)
    lstm = nn.LSTM(6, 8, batch_first=True)
    x = torch.randn(4, 5, 6)

    def step_fn(model, batch, ctx):
        out, _ = model(batch)
        loss = out.float().pow(2).mean()
        return StepOutput(loss, len(batch), {"nll": loss.item()})

    config = TrainConfig.from_params({"epochs": 1, "lr": 0.01, "optimizer": "adam", "seed": 3, "progress": False,
                                      "device": "cpu", "cpu_bf16": True})
    trainer = Trainer(lstm, config, tmp_path / "ckpt.pt", step_fn, lambda epoch, generator: [x], lambda: [x])
    result = trainer.fit()
    assert math.isfinite(result.history[-1]["train_loss"])


def test_epoch_start_reinitialises_parameters_and_their_optimizer_state_goes(tmp_path):
    """A phase change (Li et al.'s fresh decoder): the returned parameters restart from no Adam moments,
    while the others keep theirs; a resume after that epoch holds the same state."""
    trainer = build(tmp_path, epochs=2)
    last = trainer.model[3]
    seen = {}

    def start(epoch, model):
        if epoch != 2:
            return []
        seen["moments"] = {id(p) for p in trainer.optimizer.state}
        last.reset_parameters()
        return list(last.parameters())

    trainer.epoch_start = start
    trainer.fit()
    assert {id(p) for p in last.parameters()} <= seen["moments"], "Adam had moments before the reset"
    first, out = trainer.model[0].weight, last.weight
    # After one epoch of steps from a fresh state Adam's step count restarts; the untouched layer's goes on.
    assert int(trainer.optimizer.state[out]["step"]) == 4
    assert int(trainer.optimizer.state[first]["step"]) == 8


def test_ema_weights_are_the_validated_and_kept_ones(tmp_path):
    """With a decay of 1 the average never leaves the weights of the first step (its first update copies
    them): validation and the kept state are those while the trained weights move on; with a decay of 0
    it is the latest weights, as without it."""
    frozen = build(tmp_path / "frozen", epochs=3, ema_decay=1.0)
    result = frozen.fit()
    assert len({row["valid_nll"] for row in result.history}) == 1  # the loss itself carries a schedule
    assert same_weights(result.best_state, frozen.ema.module.state_dict())
    assert not same_weights(frozen.model.state_dict(), result.best_state)
    latest = build(tmp_path / "latest", epochs=3, ema_decay=0.0).fit()
    plain = build(tmp_path / "plain", epochs=3).fit()
    assert [row["valid_loss"] for row in latest.history] == pytest.approx([row["valid_loss"] for row in plain.history])


def test_ema_survives_a_crash_and_leaves_other_fingerprints_alone(tmp_path):
    whole = build(tmp_path / "whole", ema_decay=0.9)
    expected = whole.fit()
    crashed = build(tmp_path / "resumed", ema_decay=0.9, hook=interrupt_in_epoch_3)
    with pytest.raises(Interrupt):
        crashed.fit()
    resumed = build(tmp_path / "resumed", ema_decay=0.9)
    result = resumed.fit()
    assert result.resumed_from_epoch == 2
    assert numbers(result.history) == numbers(expected.history)
    assert same_weights(result.best_state, expected.best_state)
    assert build(tmp_path / "a").fingerprint == build(tmp_path / "b", ema_decay=None).fingerprint
    assert build(tmp_path / "c").fingerprint != build(tmp_path / "d", ema_decay=0.9).fingerprint
    assert TrainConfig.from_params({"epochs": 1, "lr": 0.1, "optimizer": "sgd", "ema_decay": 0.99}).ema_decay == 0.99
