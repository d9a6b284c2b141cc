"""How many threads the environment gives a process, read without importing torch.

The training stages hand the count to torch (``training.runtime.set_threads``); ``reviewgen tense`` hands
it to onnxruntime, and must not pay torch's import to learn it.
"""

from __future__ import annotations

import os

from reviewgen.config import ConfigError

# Read in this order when no explicit thread count is given: OMP_NUM_THREADS is the usual way a launcher
# passes a job's thread budget; SLURM_CPUS_PER_TASK is the allocation of a SLURM batch job.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK")


def threads_from_environment() -> tuple[int | None, str]:
    """``(count, variable)`` from the first of :data:`THREAD_ENV_VARS` that is set, else ``(None, "")``."""
    for name in THREAD_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                count = int(value)
            except ValueError as err:
                raise ConfigError(f"environment: {name} must be an integer, got {value!r}") from err
            if count < 1:
                raise ConfigError(f"threads must be >= 1, got {count} (from {name})")
            return count, name
    return None, ""
