"""Where a stage's time goes, recorded inside the stage's own process (for ``--pipeline``).

The benchmark puts a ``sitecustomize`` (:data:`SITECUSTOMIZE`) first on ``PYTHONPATH`` of the ``dvc repro``
it runs, so every Python process of a stage calls :func:`install`. In a stage script
(``workflow/scripts/*.py``) that times the script's ``main`` and, in a training stage, MLflow's set-up
(entering ``tracked_run``), the run's body (training and evaluation loops, saving, sampling) and its
logging at the end (``finish_stage``), and writes them as JSON under ``$REVIEWGEN_BENCH_SPANS`` at exit.
Only wrappers: nothing a stage computes or writes changes. Other processes (DVC itself) are left alone.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.abc
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SPANS_ENV = "REVIEWGEN_BENCH_SPANS"
SITECUSTOMIZE = (
    "import os\n"
    f"if os.environ.get({SPANS_ENV!r}):\n"
    "    from reviewgen.bench.spans import install\n"
    "    install()\n"
)

_STARTED = time.perf_counter()  # imported by sitecustomize: as the interpreter starts
_spans: dict[str, float] = {}


def _add(name: str, seconds: float) -> None:
    _spans[name] = _spans.get(name, 0.0) + seconds


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``patch(module)`` right after a module's first import, before any other module imports
    names from it, so that ``from reviewgen.experiments.common import finish_stage`` gets the wrapper."""

    def __init__(self, patches: dict[str, Callable[[Any], None]]) -> None:
        self.patches = patches

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        patch = self.patches.pop(name, None)
        if patch is None:
            return None
        spec = importlib.util.find_spec(name)  # the real finders: this one no longer knows the name
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)  # keeps __module__: run_stage tells a script's own main by it
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - started)

    return wrapper


def _patch_stage(module: Any) -> None:
    run_stage = module.run_stage
    module.run_stage = lambda main: run_stage(_timed("main", main))


def _patch_experiments(module: Any) -> None:
    tracked_run = module.tracked_run

    @contextlib.contextmanager
    def timed_run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        with tracked_run(*args, **kwargs) as run:
            _add("mlflow_start", time.perf_counter() - started)
            started = time.perf_counter()
            try:
                yield run
            finally:
                _add("run_body", time.perf_counter() - started)
                started = time.perf_counter()
        _add("mlflow_end", time.perf_counter() - started)

    module.tracked_run = timed_run
    module.finish_stage = _timed("finish_stage", module.finish_stage)


def _write(folder: Path, script: str) -> None:
    record = {"script": script, "argv": sys.argv[1:], "process_s": time.perf_counter() - _STARTED, "spans": _spans}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{Path(script).stem}-{os.getpid()}.json").write_text(json.dumps(record))


def install() -> None:
    """Record this process's spans if it runs a stage script; otherwise do nothing."""
    script = sys.argv[0] if sys.argv else ""
    if Path(script).parent.parts[-2:] != ("workflow", "scripts"):
        return
    sys.meta_path.insert(0, _AfterImport({"reviewgen.stage": _patch_stage,
                                          "reviewgen.experiments.common": _patch_experiments}))
    atexit.register(_write, Path(os.environ[SPANS_ENV]), script)


def work_seconds(records: list[dict[str, Any]]) -> float:
    """The time a stage spends on its own job: a training run's body less its final logging, or, in a
    stage without an MLflow run (data, reports), its whole ``main``."""
    total = 0.0
    for record in records:
        spans = record["spans"]
        if "run_body" in spans:
            total += spans["run_body"] - spans.get("finish_stage", 0.0)
        else:
            total += spans.get("main", 0.0)
    return total


def read_records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
