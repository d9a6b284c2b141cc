"""One training loop for every neural model, with per-epoch checkpoints and exact resume.

The trainer knows nothing about what a model computes: a ``step_fn`` turns a batch into a
:class:`StepOutput` (the loss to backpropagate, its weight, summed metrics). Everything that makes a
run reproducible lives here: seeding, the batch order of each epoch (a generator seeded from
``(seed, epoch)``), and checkpoints holding every piece of state that an uninterrupted run would still
have in memory, so a killed job resumes and ends bit for bit where it would have.

Typical use in a stage (the stage seeds before building the model so the initial weights repeat)::

    seed_everything(cfg.seed)
    trainer = Trainer(Model(**hparams), cfg, "models/wordlm/checkpoint.pt", step_fn, train, valid,
                      hparams=hparams)
    with tracking.start_run(..., run_id=trainer.resume_run_id()) as run:
        trainer.tracker = run
        result = trainer.fit()
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from reviewgen.config import ConfigError, get
from reviewgen.io import get_logger
from reviewgen.training import checkpoint
from reviewgen.training.runtime import cpu_has_native_bf16, epoch_seed, pick_device, seed_everything, to_device

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
SCHEDULERS = ("none", "step", "cosine", "plateau")
# Settings that change how a run is displayed or where it runs, not what it computes: a checkpoint
# written on a GPU node may resume on another node, or with the progress bar off.
NOT_FINGERPRINTED = ("device", "progress")
_UNREAD = object()  # the checkpoint file has not been read yet


@dataclass
class TrainConfig:
    epochs: int
    lr: float
    optimizer: str  # "adam" | "adamw" | "sgd"
    weight_decay: float = 0.0
    clip_grad: float | None = 1.0  # max global gradient norm; None turns clipping off
    scheduler: str = "none"  # "none" | "step" | "cosine" | "plateau"
    step_size: int = 1  # "step": epochs between decays; "plateau": epochs without improvement to wait
    gamma: float = 0.5  # "step" and "plateau": factor the learning rate is multiplied by
    early_stopping_patience: int | None = None  # stop after this many epochs without a better monitored value
    # What "best epoch" and early stopping watch: a history column, e.g. a validation BLEU from epoch_end.
    monitor: str = "valid_loss"
    monitor_mode: str = "min"  # "min" | "max"
    device: str = "auto"
    bf16: bool = False  # bfloat16 autocast, CUDA only
    # bfloat16 autocast on the CPU as well: about twice the matrix throughput where the CPU has bf16 dot
    # products (avx512_bf16, AMX), emulated and slower where it has not. A model's choice, not the machine's.
    cpu_bf16: bool = False
    # Validate and keep an exponential moving average of the weights (Polyak averaging), updated after
    # every optimizer step, rather than the raw weights: the raw weights' epoch-to-epoch noise makes the
    # best-epoch choice pick noise. None: off.
    ema_decay: float | None = None
    seed: int = 0
    progress: bool = True

    @classmethod
    def from_params(cls, section: dict[str, Any], where: str = "train") -> TrainConfig:
        """Build from a params.yaml section; unknown keys are errors so a typo cannot go unnoticed."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ConfigError(f"params: unknown key(s) {unknown} in '{where}'; known: {sorted(known)}")
        # An explicit `clip_grad: null` means "off"; config.get would turn null into the default.
        clip_grad = (
            None if "clip_grad" in section and section["clip_grad"] is None
            else get(section, "clip_grad", float, where, default=1.0, minimum=0.0)
        )
        return cls(
            epochs=get(section, "epochs", int, where, minimum=1),
            lr=get(section, "lr", float, where, minimum=0.0),
            optimizer=get(section, "optimizer", str, where, choices=OPTIMIZERS),
            weight_decay=get(section, "weight_decay", float, where, default=0.0, minimum=0.0),
            clip_grad=clip_grad,
            scheduler=get(section, "scheduler", str, where, default="none", choices=SCHEDULERS),
            step_size=get(section, "step_size", int, where, default=1, minimum=1),
            gamma=get(section, "gamma", float, where, default=0.5, minimum=0.0, maximum=1.0),
            early_stopping_patience=get(
                section, "early_stopping_patience", int, where, default=None, minimum=1
            ),
            monitor=get(section, "monitor", str, where, default="valid_loss"),
            monitor_mode=get(section, "monitor_mode", str, where, default="min", choices=("min", "max")),
            device=get(section, "device", str, where, default="auto"),
            bf16=get(section, "bf16", bool, where, default=False),
            cpu_bf16=get(section, "cpu_bf16", bool, where, default=False),
            ema_decay=get(section, "ema_decay", float, where, default=None, minimum=0.0, maximum=1.0),
            seed=get(section, "seed", int, where, default=0, minimum=0),
            progress=get(section, "progress", bool, where, default=True),
        )


@dataclass
class StepOutput:
    loss: torch.Tensor  # scalar to backpropagate, averaged however the model wants
    weight: float  # e.g. target tokens in the batch; epoch values are weighted by it
    metrics: dict[str, float] = field(default_factory=dict)  # per-batch SUMS, divided by the summed weight


@dataclass
class StepContext:
    epoch: int
    global_step: int  # optimizer steps taken before this batch
    training: bool
    state: dict[str, Any]  # the checkpointed schedules; step_fn steps them, the trainer saves them


@dataclass
class TrainResult:
    history: list[dict[str, float]]
    best_epoch: int | None
    best_monitor: float  # the best value of the monitored column, ``config.monitor`` (valid_loss by default)
    resumed_from_epoch: int | None  # last epoch found in the checkpoint; None for a fresh start
    stopped_early: bool
    best_state: dict[str, torch.Tensor] | None  # CPU state dict of the best epoch; the model holds the last


StepFn = Callable[[torch.nn.Module, Any, StepContext], StepOutput]


class Trainer:
    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        checkpoint_path: str | os.PathLike,
        step_fn: StepFn,
        train_batches: Callable[[int, torch.Generator], Iterable[Any]],
        valid_batches: Callable[[], Iterable[Any]],
        *,
        state: dict[str, Any] | None = None,
        epoch_end: Callable[[int, torch.nn.Module], dict[str, float]] | None = None,
        epoch_start: Callable[[int, torch.nn.Module], Iterable[torch.nn.Parameter]] | None = None,
        tracker: Any = None,
        log_name: str = "train",
        hparams: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.device = pick_device(config.device)
        self.model = model.to(self.device)
        self.checkpoint_path = Path(checkpoint_path)
        self.step_fn, self.train_batches, self.valid_batches = step_fn, train_batches, valid_batches
        self.state = dict(state or {})
        self.epoch_end = epoch_end
        # Called before each training epoch; returns the parameters it re-initialised (a phase change,
        # e.g. a fresh decoder), whose optimizer state goes, as a new optimizer would start them.
        self.epoch_start = epoch_start
        self.tracker = tracker  # anything with log_metrics(dict, step); its run_id goes in the checkpoint
        self.log = get_logger(log_name)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = OPTIMIZERS[config.optimizer]
        self.optimizer = optimizer(self.params, lr=config.lr, weight_decay=config.weight_decay)
        self.scheduler = self._build_scheduler()
        on_cpu = self.device.type == "cpu"
        self.bf16 = ((config.bf16 and self.device.type == "cuda")
                     or (config.cpu_bf16 and on_cpu and cpu_has_native_bf16()))
        if config.bf16 and not config.cpu_bf16 and not self.bf16:
            self.log.warning("bf16 autocast needs CUDA; training on %s in float32", self.device)
        if config.cpu_bf16 and on_cpu and not self.bf16:
            self.log.warning("train.cpu_bf16: this CPU has no native bf16 (avx512_bf16 or AMX); training in float32")
        # Off, the average is left out of the fingerprint, so checkpoints written before it existed still resume.
        settings = {k: v for k, v in dataclasses.asdict(config).items()
                    if k not in NOT_FINGERPRINTED and not (k == "ema_decay" and v is None)}
        self.ema = None if config.ema_decay is None else torch.optim.swa_utils.AveragedModel(
            self.model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.ema_decay), use_buffers=True)
        self.fingerprint = checkpoint.config_fingerprint({"train": settings, "model": hparams or {}})
        self._pending: Any = _UNREAD  # the checkpoint read by resume_run_id(), kept for fit()
        # Progress that the checkpoint carries across restarts.
        self.epoch = 0
        self.global_step = 0
        self.history: list[dict[str, float]] = []
        self.best_epoch: int | None = None
        self.best_monitor = math.inf if config.monitor_mode == "min" else -math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_epochs = 0
        self.stopped_early = False

    def _build_scheduler(self) -> Any:
        cfg, optim = self.config, self.optimizer
        if cfg.scheduler == "step":
            return torch.optim.lr_scheduler.StepLR(optim, step_size=cfg.step_size, gamma=cfg.gamma)
        if cfg.scheduler == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=cfg.epochs)
        if cfg.scheduler == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(optim, factor=cfg.gamma, patience=cfg.step_size)
        return None

    # --- checkpoints -------------------------------------------------------------------------------

    def resume_run_id(self) -> str | None:
        """The tracker run id stored in a resumable checkpoint, so the stage can continue that run."""
        if self._pending is _UNREAD:
            self._pending = checkpoint.load(self.checkpoint_path, self.fingerprint)
            if self._pending is not None and not self._restorable(self._pending):
                # A checkpoint that cannot be loaded starts a fresh run: its old run id must not be
                # continued, or the new run's metrics would be appended to the abandoned one.
                self._pending = None
        return None if self._pending is None else self._pending.get("run_id")

    def _restorable(self, payload: dict[str, Any]) -> bool:
        """Whether ``payload`` restores cleanly; the trainer is left as it was either way."""
        initial = copy.deepcopy(self._payload())
        try:
            self._restore(payload)
        except Exception as err:  # any mismatch means "start again", never a crash
            checkpoint.warn_unusable(self.checkpoint_path, f"incompatible ({checkpoint.one_line(err)})")
            return False
        finally:
            self._restore(initial)
        return True

    def _payload(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "epoch": self.epoch,
            "global_step": self.global_step,
            "history": self.history,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "ema": None if self.ema is None else self.ema.state_dict(),
            "state": {name: obj.state_dict() for name, obj in self.state.items()},
            "rng": checkpoint.capture_rng(),
            "best": {"epoch": self.best_epoch, "monitor": self.best_monitor, "model": self.best_state},
            "early_stopping": {"bad_epochs": self.bad_epochs, "stopped": self.stopped_early},
            "run_id": getattr(self.tracker, "run_id", None),
        }

    def _restore(self, payload: dict[str, Any]) -> None:
        if set(payload["state"]) != set(self.state):
            raise ValueError(f"state objects {sorted(payload['state'])} != {sorted(self.state)}")
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(payload["scheduler"])
        for name, obj in self.state.items():
            obj.load_state_dict(payload["state"][name])
        if self.ema is not None:
            self.ema.load_state_dict(payload["ema"])
        checkpoint.restore_rng(payload["rng"])
        self.epoch, self.global_step = payload["epoch"], payload["global_step"]
        self.history = list(payload["history"])
        best = payload["best"]
        self.best_epoch, self.best_monitor = best["epoch"], best["monitor"]
        self.best_state = best["model"]
        self.bad_epochs = payload["early_stopping"]["bad_epochs"]
        self.stopped_early = payload["early_stopping"]["stopped"]

    def _resume(self) -> int | None:
        """Restore the checkpoint if there is a usable one; the epoch it ends with, else None."""
        payload = self._pending
        if payload is _UNREAD:
            payload = checkpoint.load(self.checkpoint_path, self.fingerprint)
        self._pending = _UNREAD  # a later fit() reads the file again
        if payload is None:
            return None
        # A file can pass the fingerprint check and still not fit (a model class changed without its
        # hyperparameters): restoring then fails halfway, so keep a copy to start cleanly from.
        initial = copy.deepcopy(self._payload())
        try:
            self._restore(payload)
        except Exception as err:  # any mismatch means "start again", never a crash
            checkpoint.warn_unusable(self.checkpoint_path, f"incompatible ({checkpoint.one_line(err)})")
            self._restore(initial)
            return None
        return self.epoch

    # --- the loop ----------------------------------------------------------------------------------

    def fit(self) -> TrainResult:
        cfg = self.config
        seed_everything(cfg.seed)
        resumed_from = self._resume()
        if resumed_from is not None:
            self.log.info("resuming %s after epoch %d of %d", self.checkpoint_path, resumed_from, cfg.epochs)
        while self.epoch < cfg.epochs and not self.stopped_early:
            epoch = self.epoch + 1
            started = time.perf_counter()
            lr = self.optimizer.param_groups[0]["lr"]
            if self.epoch_start is not None:
                for param in self.epoch_start(epoch, self.model):
                    self.optimizer.state.pop(param, None)
            train = self._run_epoch(epoch, training=True)
            valid = self._run_epoch(epoch, training=False)
            extra: dict[str, float] = {}
            if self.epoch_end is not None:
                with torch.no_grad():
                    extra = {k: float(v) for k, v in self.epoch_end(epoch, self.evaluated).items()}
            row = {
                "epoch": epoch,
                "train_loss": train.pop("loss"),
                "valid_loss": valid.pop("loss"),
                "lr": lr,
                **{f"train_{k}": v for k, v in train.items()},
                **{f"valid_{k}": v for k, v in valid.items()},
                **extra,
                "seconds": time.perf_counter() - started,
            }
            self._end_epoch(row)
        return TrainResult(
            history=list(self.history),
            best_epoch=self.best_epoch,
            best_monitor=self.best_monitor,
            resumed_from_epoch=resumed_from,
            stopped_early=self.stopped_early,
            best_state=self.best_state,
        )

    def _end_epoch(self, row: dict[str, float]) -> None:
        cfg, epoch, valid_loss = self.config, int(row["epoch"]), row["valid_loss"]
        if cfg.monitor not in row:
            raise ValueError(f"train.monitor '{cfg.monitor}' is not in the epoch's history: {sorted(row)}")
        watched = row[cfg.monitor]
        improved = watched < self.best_monitor if cfg.monitor_mode == "min" else watched > self.best_monitor
        if improved:
            self.best_epoch, self.best_monitor, self.bad_epochs = epoch, watched, 0
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.evaluated.state_dict().items()}
        else:
            self.bad_epochs += 1
        patience = cfg.early_stopping_patience
        self.stopped_early = patience is not None and self.bad_epochs >= patience
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(valid_loss)
        elif self.scheduler is not None:
            self.scheduler.step()
        self.epoch = epoch
        self.history.append(row)
        shown = " ".join(f"{k} {v:.4g}" for k, v in row.items() if k not in ("epoch", "seconds"))
        note = " *best*" if improved else ""
        if self.stopped_early:
            note += f" (early stop: no improvement for {self.bad_epochs} epochs)"
        self.log.info("epoch %d/%d %s %.1fs%s", epoch, cfg.epochs, shown, row["seconds"], note)
        if self.tracker is not None:
            self.tracker.log_metrics({k: v for k, v in row.items() if k != "epoch"}, step=epoch)
        checkpoint.save(self.checkpoint_path, self._payload())

    @property
    def evaluated(self) -> torch.nn.Module:
        """The weights that are validated and kept: the moving average when there is one."""
        return self.model if self.ema is None else self.ema.module

    def _run_epoch(self, epoch: int, training: bool) -> dict[str, float]:
        """One pass over the train or validation batches; the weighted mean loss and metrics."""
        model = self.model if training else self.evaluated
        model.train(training)
        if training:
            generator = torch.Generator().manual_seed(epoch_seed(self.config.seed, epoch))
            batches = self.train_batches(epoch, generator)
        else:
            batches = self.valid_batches()
        phase = "train" if training else "valid"
        total_loss = total_weight = 0.0
        sums: dict[str, float] = {}
        bar = tqdm(batches, desc=f"{phase} {epoch}", disable=not self.config.progress, leave=False)
        with torch.set_grad_enabled(training):
            for batch in bar:
                ctx = StepContext(epoch, self.global_step, training, self.state)
                with self._autocast():
                    out = self.step_fn(model, to_device(batch, self.device), ctx)
                loss = float(out.loss.detach())
                if training:
                    if not math.isfinite(loss):
                        raise FloatingPointError(f"loss is {loss} at epoch {epoch}, step {self.global_step}")
                    self.optimizer.zero_grad(set_to_none=True)
                    out.loss.backward()
                    if self.config.clip_grad is not None:
                        torch.nn.utils.clip_grad_norm_(self.params, self.config.clip_grad)
                    self.optimizer.step()
                    if self.ema is not None:
                        self.ema.update_parameters(self.model)
                    self.global_step += 1
                weight = float(out.weight)
                total_loss += loss * weight
                total_weight += weight
                for key, value in out.metrics.items():
                    sums[key] = sums.get(key, 0.0) + float(value)
                bar.set_postfix(loss=f"{total_loss / total_weight:.4f}", refresh=False)
        if total_weight <= 0:
            raise ValueError(f"{phase} batches of epoch {epoch} were empty (total weight 0)")
        return {"loss": total_loss / total_weight, **{k: v / total_weight for k, v in sums.items()}}

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

