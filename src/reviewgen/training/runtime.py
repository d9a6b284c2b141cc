"""Where and how a training job runs: device choice, seeding, determinism, CPU threads, batch moves.

Every stage that trains calls these before building its model, so that the same params on the same
machine give bit-identical metrics, and a job scheduled with N cores by Snakemake or SLURM uses N.
"""

from __future__ import annotations

import dataclasses
import os
import random
from typing import Any

import numpy as np
import torch

from reviewgen.config import ConfigError
from reviewgen.io import get_logger
from reviewgen.threads import threads_from_environment

log = get_logger("training.runtime")

def pick_device(requested: str = "auto") -> torch.device:
    """``"auto"`` is CUDA when present else CPU; ``"cpu"``; ``"cuda"`` or ``"cuda:N"`` (must exist)."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cpu":
        return torch.device("cpu")
    if requested == "cuda" or requested.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(f"params: device '{requested}' requested but CUDA is not available here")
        device = torch.device(requested)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(
                f"params: device '{requested}' requested but only {torch.cuda.device_count()} GPU(s) exist"
            )
        return device
    raise ConfigError(f"params: device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {requested!r}")


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 natively on this CPU (avx512_bf16 or AMX).

    Elsewhere bf16 autocast is emulated, slower than float32, and oneDNN's LSTM refuses it outright
    ("could not create a primitive descriptor"), so ``train.cpu_bf16`` falls back to float32 there.
    """
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    try:
        return bool(check()) if check is not None else False
    except RuntimeError:  # a build without oneDNN
        return False


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed every RNG a model may draw from and ask torch for deterministic kernels.

    ``warn_only=True`` because a few CUDA kernels have no deterministic version: a warning naming the
    op is more useful than killing a long GPU run. On CPU the kernels we use are deterministic.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        # cuBLAS reads this when it initialises; it must be set before the first GEMM on the GPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)
        # Deterministic mode also fills every torch.empty with NaN, a guard against kernels that read
        # memory they never wrote. Ours do not, and the filling was a sizeable share of a VAE training
        # step in the profiles (the oneDNN LSTM allocates a large workspace per call; docs/performance.md).
        # The results stay deterministic without it (PyTorch docs, torch.utils.deterministic).
        torch.utils.deterministic.fill_uninitialized_memory = False


def set_threads(n: int | None = None, default: int | None = None) -> int:
    """Use ``n`` intra-op threads, else the count the scheduler exported, else ``default`` (torch's own
    count when that is None too); returns the count in use."""
    source = "argument"
    if n is None:
        n, source = threads_from_environment()
    if n is None and default is not None:
        n, source = default, "default"
    if n is None:
        return torch.get_num_threads()
    if n < 1:
        raise ConfigError(f"threads must be >= 1, got {n} (from {source})")
    torch.set_num_threads(n)
    log.debug("torch uses %d threads (from %s)", n, source)
    return n


def epoch_seed(seed: int, epoch: int) -> int:
    """A well-mixed seed for the batch order of one epoch, independent of every other epoch."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1, dtype=np.uint64)[0])


def to_device(obj: Any, device: torch.device) -> Any:
    """``obj`` with every tensor inside it (tuples, lists, dicts, dataclasses) moved to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=device.type == "cuda")  # async host-to-GPU copies only
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        moved = {f.name: to_device(getattr(obj, f.name), device) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **moved)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple keeps its type
        return type(obj)(*(to_device(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj
