"""Training checkpoints: one file per run, rewritten atomically at the end of every epoch.

A checkpoint is a plain dict of tensors, numbers, strings and lists, so it loads with
``torch.load(weights_only=True)``: no pickled code runs when a file is read. It holds everything an
uninterrupted run would still have in memory (weights, optimizer, scheduler, schedules, every RNG),
which is what makes a resumed run end bit for bit where an uninterrupted one does on the same machine.

A file that cannot be used (truncated, corrupt, written for another config) is never fatal: the
trainer warns in one line and starts again from the first epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reviewgen.io import atomic_path, get_logger

log = get_logger("training.checkpoint")

# Bumped when the payload layout changes, so old files are refused rather than misread.
FORMAT_VERSION = 2


def config_fingerprint(config: dict[str, Any]) -> str:
    """A stable hash of everything that must match for a checkpoint to be resumed."""
    canonical = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def capture_rng() -> dict[str, Any]:
    """The state of every RNG training may draw from, in types ``weights_only`` loading accepts."""
    numpy_state = np.random.get_state(legacy=False)
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "bit_generator": numpy_state["bit_generator"],
            "key": numpy_state["state"]["key"].tolist(),
            "pos": int(numpy_state["state"]["pos"]),
            "has_gauss": int(numpy_state["has_gauss"]),
            "gauss": float(numpy_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    numpy_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": numpy_state["bit_generator"],
            "state": {"key": np.asarray(numpy_state["key"], dtype=np.uint32), "pos": numpy_state["pos"]},
            "has_gauss": numpy_state["has_gauss"],
            "gauss": numpy_state["gauss"],
        }
    )
    torch.set_rng_state(state["torch"].cpu())
    cuda_states = state.get("cuda")
    if cuda_states is not None and torch.cuda.is_available():
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
        else:
            # Resuming on a machine with a different GPU count: CPU streams still match exactly.
            log.warning("checkpoint has %d CUDA RNG states, this machine %d GPUs: not restored",
                        len(cuda_states), torch.cuda.device_count())


def save(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` so that a reader sees either the old file or the complete new one."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            torch.save({"format": FORMAT_VERSION, **payload}, handle)
            handle.flush()
            # Without fsync a power cut after the rename can leave an empty file under the final name.
            os.fsync(handle.fileno())


def load(path: str | os.PathLike, fingerprint: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it exists and was written for ``fingerprint``, else ``None``.

    Tensors are mapped to CPU whatever device wrote them, so a GPU checkpoint resumes on a CPU-only
    machine; the trainer moves them to its device afterwards.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unreadable file means "start again", never a crash
        warn_unusable(path, f"unreadable ({type(err).__name__}: {one_line(err)})")
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        warn_unusable(path, f"not a format-{FORMAT_VERSION} checkpoint")
        return None
    if payload.get("fingerprint") != fingerprint:
        warn_unusable(path, "written for a different config or model")
        return None
    return payload


def warn_unusable(path: str | os.PathLike, reason: str) -> None:
    log.warning("checkpoint %s is %s; training starts from the first epoch", path, reason)


def one_line(err: BaseException, limit: int = 300) -> str:
    """An exception message squeezed onto one line, for warnings that must stay one line."""
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
