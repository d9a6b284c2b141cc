"""Shared fixtures: a throw-away copy of the pipeline to run DVC and Snakemake in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reviewgen.bench.pipeline import make_copy
from reviewgen.config import deep_merge

REPO = Path(__file__).resolve().parents[1]

# MLflow 3 reports usage over the network by default; tests, and the stages they start, never do.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def tool_env(workdir: Path) -> dict[str, str]:
    """Environment for the orchestrators: this interpreter's tools first, no analytics, local MLflow."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir / 'mlflow.db'}"
    env.pop("REVIEWGEN_ORCHESTRATOR", None)
    return env


class PipelineCopy:
    """A git repository holding a copy of the pipeline, with tiny params merged into params.yaml."""

    def __init__(self, root: Path):
        self.root = root
        self.env = tool_env(root)

    def run(self, *command: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
        proc = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def set_params(self, override: dict) -> None:
        path = self.root / "params.yaml"
        params = deep_merge(yaml.safe_load(path.read_text()), override)
        path.write_text(yaml.safe_dump(params, sort_keys=False))


def make_pipeline_copy(dest: Path, tiny: bool = True) -> PipelineCopy:
    """A git repository holding a copy of the pipeline (tiny params merged in by default)."""
    return PipelineCopy(make_copy(dest, tiny))


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory) -> tuple[str, Path]:
    """A SQLite MLflow store and its directory, shared by one test module: creating a store runs
    MLflow's schema migrations, which take seconds."""
    root = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{root / 'mlflow.db'}", root


@pytest.fixture
def pipeline_copy(tmp_path: Path) -> PipelineCopy:
    return make_pipeline_copy(tmp_path / "repo")


@pytest.fixture(scope="session")
def dvc_pipeline(tmp_path_factory) -> PipelineCopy:
    """The whole pipeline run once by `dvc repro` on tiny params, shared by the end-to-end tests."""
    copy = make_pipeline_copy(tmp_path_factory.mktemp("dvc") / "repo")
    copy.run("dvc", "repro")
    return copy


@pytest.fixture(scope="session")
def snakemake_pipeline(tmp_path_factory) -> PipelineCopy:
    """The whole pipeline run once by `snakemake --cores 2` on tiny params, shared by the end-to-end tests."""
    copy = make_pipeline_copy(tmp_path_factory.mktemp("smk") / "repo")
    copy.run("snakemake", "--cores", "2")
    return copy
