"""The one training skeleton every model runs through, as lightning-hydra-template's single ``train``.

A model's experiment module describes its run as an :class:`Experiment`: the model (a registry kind
and its hyperparameters), the data (train and validation batches), the step, and the evaluation that
turns the fitted model into its own metrics, samples and the plain data kept beside its weights.
:func:`train` does the rest in the same order for every model: seed, build the model, open the MLflow
run (continuing the one a checkpoint names), fit, keep the best epoch's weights, add the metrics every
model reports, save the model file through the registry, and write the stage's outputs.

A model that is counted rather than trained by epochs (the count n-gram) supplies ``fit`` instead of a
step and batches; it runs through the same skeleton without a Trainer or a checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from reviewgen import tracking
from reviewgen.experiments.common import (
    StageOutputs,
    count_parameters,
    finish_stage,
    mean_epoch_seconds,
    tracked_run,
)
from reviewgen.models.registry import model_class, save_model
from reviewgen.training.runtime import pick_device, seed_everything
from reviewgen.training.trainer import StepFn, TrainConfig, Trainer, TrainResult


@dataclass
class Fitted:
    """What an evaluation works with: the model holding its kept weights, and the run around it."""

    model: Any  # in eval mode only where the evaluation puts it; Trainer-fitted models hold the best epoch
    result: TrainResult
    device: torch.device
    run: tracking.TrackedRun
    outputs: StageOutputs

    @property
    def best_row(self) -> dict[str, float]:
        """The history row of the kept epoch (the last one for a model fitted in one pass)."""
        best = self.result.best_epoch
        return self.result.history[-1 if best is None else best - 1]


@dataclass
class Outcome:
    """What a model's evaluation hands back to the runner."""

    metrics: dict[str, Any]  # the model's own metrics; the runner adds the ones every model reports
    samples: str  # the text of the samples file
    extra: dict[str, Any] = field(default_factory=dict)  # plain data saved beside the weights


@dataclass
class Experiment:
    """Everything that differs between two training stages; :func:`train` runs any of them."""

    name: str  # the model's name in logs, MLflow and file names, e.g. "charlm-lstm"
    family: str  # MLflow experiment "reviewgen-<family>"
    # The registry kind the model is built and saved as. The registry imports its class lazily, so the
    # experiment's module imports that class itself: that keeps it in the stage's code dependencies.
    kind: str
    hparams: dict[str, Any]  # the kind's constructor arguments
    params: dict[str, Any]  # the params sections logged with the run
    inputs: list[Path]  # data files fingerprinted in the run
    evaluate: Callable[[Fitted], Outcome]  # test metrics and samples; the only place test data is read
    device: str = "cpu"  # the runtime device setting (a Trainer-fitted model runs where it picks)
    # Trained by epochs with the shared Trainer:
    config: TrainConfig | None = None
    step: StepFn | None = None
    train_batches: Callable[[int, torch.Generator], Iterable[Any]] | None = None
    valid_batches: Callable[[], Iterable[Any]] | None = None
    state: dict[str, Any] = field(default_factory=dict)  # schedules the step reads, checkpointed with it
    epoch_end: Callable[[int, torch.nn.Module], dict[str, float]] | None = None
    # Before each training epoch; returns the parameters it re-initialised (see Trainer).
    epoch_start: Callable[[int, torch.nn.Module], Iterable[torch.nn.Parameter]] | None = None
    # What a checkpoint must match beyond the train settings (default: the hyperparameters).
    fingerprint: dict[str, Any] | None = None
    # Or fitted in one pass, without epochs or a checkpoint: takes the built model, returns its result.
    fit: Callable[[Any], TrainResult] | None = None

    def __post_init__(self) -> None:
        trained = (self.config, self.step, self.train_batches, self.valid_batches)
        if self.fit is None and any(part is None for part in trained):
            raise ValueError(f"{self.name}: give config, step, train_batches and valid_batches, or fit")
        if self.fit is not None and any(part is not None for part in trained):
            raise ValueError(f"{self.name}: a model fitted by `fit` has no Trainer settings")


def common_metrics(exp: Experiment, model: Any, result: TrainResult) -> dict[str, Any]:
    """The metrics every model reports: ``best_epoch`` only where an epoch was chosen, ``parameters``
    only for a network (a model without weights reports what it stores in its own metrics)."""
    metrics: dict[str, Any] = {"model": exp.name, "epochs": len(result.history)}
    if isinstance(model, torch.nn.Module):
        metrics["parameters"] = count_parameters(model)
    if result.best_epoch is not None:
        metrics["best_epoch"] = result.best_epoch
    return metrics | {"seconds_per_epoch": mean_epoch_seconds(result.history)}


def train(exp: Experiment, outputs: StageOutputs) -> dict[str, Any]:
    """Fit, evaluate and save one model, writing the stage's outputs; returns its metrics."""
    if exp.config is not None:
        seed_everything(exp.config.seed)  # before building the model, so its initial weights repeat
    model = model_class(exp.kind, exp.name)(**exp.hparams)
    trainer = None
    if exp.fit is None:
        if outputs.checkpoint is None:
            raise ValueError(f"{exp.name}: a model trained by epochs needs a checkpoint path")
        trainer = Trainer(model, exp.config, outputs.checkpoint, exp.step, exp.train_batches, exp.valid_batches,
                          state=exp.state, epoch_end=exp.epoch_end, epoch_start=exp.epoch_start, log_name=exp.name,
                          hparams=exp.hparams if exp.fingerprint is None else exp.fingerprint)
    with tracked_run(family=exp.family, name=exp.name, params=exp.params, inputs=exp.inputs, device=exp.device,
                     resume_run_id=None if trainer is None else trainer.resume_run_id()) as run:
        if trainer is None:
            result = exp.fit(model)
            for row in result.history:
                run.log_metrics({k: v for k, v in row.items() if k != "epoch"}, step=int(row["epoch"]))
            device = pick_device(exp.device)
        else:
            trainer.tracker = run
            result = trainer.fit()
            model.load_state_dict(result.best_state)
            device = trainer.device
        outcome = exp.evaluate(Fitted(model, result, device, run, outputs))
        metrics = common_metrics(exp, model, result) | outcome.metrics
        save_model(outputs.model, exp.kind, exp.hparams, model, extra={**outcome.extra, "metrics": metrics})
        finish_stage(run, outputs, metrics=metrics, history=result.history, samples=outcome.samples)
    return metrics
