"""What every training stage does around its model: runtime settings, the MLflow run, the outputs."""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from reviewgen import tracking
from reviewgen.config import ConfigError, get
from reviewgen.io import fingerprint, get_logger, write_json, write_text
from reviewgen.training.runtime import pick_device, set_threads
from reviewgen.training.schedules import KLAnnealing

log = get_logger("experiments")


@dataclass(frozen=True)
class StageOutputs:
    """The files a training stage writes; the checkpoint is not a declared output so a rerun can resume."""

    model: Path
    metrics: Path
    history: Path
    samples: Path
    checkpoint: Path | None  # None for models that are counted, not trained by epochs

    @classmethod
    def from_args(cls, args: Any) -> StageOutputs:
        checkpoint = getattr(args, "checkpoint", None)
        return cls(Path(args.model_out), Path(args.metrics_out), Path(args.history_out),
                   Path(args.samples_out), None if checkpoint is None else Path(checkpoint))


def add_output_arguments(parser: Any, checkpoint: bool = True) -> None:
    names = ["model-out", "metrics-out", "history-out", "samples-out"] + (["checkpoint"] if checkpoint else [])
    for name in names:
        parser.add_argument(f"--{name}", required=True)


@dataclass(frozen=True)
class Runtime:
    device: str  # a torch device string the Trainer accepts
    bf16: bool
    progress: bool
    threads: int


def setup_runtime(cfg: dict[str, Any]) -> Runtime:
    """The `runtime` params section, and torch's threads set to what the scheduler gave this job."""
    device = get(cfg, "device", str, "runtime", default="auto")
    pick_device(device)  # fail now, with the params key in the message, not after loading data
    return Runtime(
        device=device,
        bf16=get(cfg, "bf16", bool, "runtime", default=False),
        progress=get(cfg, "progress", bool, "runtime", default=True),
        threads=set_threads(),
    )


def train_settings(section: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """A model's `train` params plus the runtime keys, ready for ``TrainConfig.from_params``."""
    return {**section, "device": runtime.device, "bf16": runtime.bf16, "progress": runtime.progress}


@contextlib.contextmanager
def tracked_run(
    *, family: str, name: str, params: dict[str, Any], inputs: Sequence[str | os.PathLike],
    device: str, resume_run_id: str | None = None,
) -> Iterator[tracking.TrackedRun]:
    """One MLflow run per training stage, in an experiment per model family, with data fingerprints."""
    tags = tracking.run_tags(pick_device(device)) | {"stage": name, "model_family": family}
    digests = fingerprint(inputs)
    tags |= {f"data.{Path(p).name}": digest[:16] for p, digest in digests.items()}
    with tracking.start_run(f"reviewgen-{family}", name, params, tags, run_id=resume_run_id) as run:
        run.log_datasets(digests)
        yield run


def history_csv(history: list[dict[str, float]]) -> str:
    columns: list[str] = []
    for row in history:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return buffer.getvalue()


def finish_stage(
    run: tracking.TrackedRun, outputs: StageOutputs, *, metrics: dict[str, Any],
    history: list[dict[str, float]], samples: str,
) -> None:
    """Write metrics, history and samples, log them and the model to MLflow, drop the checkpoint.

    The model file must already be written. The checkpoint goes last: once the outputs exist a rerun
    has nothing to resume, and a kill before this point resumes from the last epoch.
    """
    metrics["mlflow_run_id"] = run.run_id  # lets the runs report pick exactly this pipeline's runs
    write_json(outputs.metrics, metrics)
    write_text(outputs.history, history_csv(history))
    write_text(outputs.samples, samples)
    run.log_metrics({k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)})
    for path in (outputs.metrics, outputs.history, outputs.samples):
        run.log_artifact(path)
    run.log_model(outputs.model)  # the .pt file inside a registered MLflow Model, not a second copy
    if outputs.checkpoint is not None:
        outputs.checkpoint.unlink(missing_ok=True)
    log.info("wrote %s, %s, %s, %s", outputs.model, outputs.metrics, outputs.history, outputs.samples)


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def mean_epoch_seconds(history: list[dict[str, float]]) -> float:
    return sum(row["seconds"] for row in history) / max(len(history), 1)


def kl_annealing(section: dict[str, Any], steps_per_epoch: int, epochs: int, where: str,
                 zero_epochs: int = 0) -> KLAnnealing:
    """A KL-annealing schedule from params given in epochs (`warmup_epochs`), converted to optimizer steps.

    The first ``zero_epochs`` train with KL weight 0 (an autoencoder phase); the schedule runs on the rest.
    """
    if not 0 <= zero_epochs < epochs:
        raise ConfigError(f"params: {where}: {zero_epochs} epoch(s) at KL weight 0 leave none of {epochs} to anneal")
    return KLAnnealing(
        kind=get(section, "kind", str, where),
        max_weight=get(section, "max_weight", float, where, minimum=0.0),
        warmup_steps=max(1, round(get(section, "warmup_epochs", float, where, minimum=0.0) * steps_per_epoch)),
        total_steps=steps_per_epoch * (epochs - zero_epochs),
        n_cycles=get(section, "n_cycles", int, where, default=4, minimum=1),
        ratio=get(section, "ratio", float, where, default=0.5, minimum=0.0, maximum=1.0),
        zero_steps=steps_per_epoch * zero_epochs,
    )
