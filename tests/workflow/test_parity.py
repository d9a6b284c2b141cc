"""dvc.yaml and the Snakemake DAG must declare the same stages, inputs, outputs, params and commands."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, tool_env

CONFIG_JSON = re.compile(r"--config-json\s+('(?:[^']|'\\'')*'|\S+)")


def dvc_stages() -> dict[str, dict]:
    """Every stage as DVC resolves it (foreach expanded to ``name@item``), read through DVC's own index."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    parsed = {}
    with Repo(str(REPO)) as repo:
        for stage in repo.index.stages:
            params = [d for d in stage.deps if isinstance(d, ParamsDependency)]
            parsed[stage.addressing] = {
                "inputs": {d.def_path for d in stage.deps if not isinstance(d, ParamsDependency)},
                "outputs": {o.def_path for o in stage.outs},
                "params": {key for d in params for key in d.params},
                "command": " ".join(stage.cmd.split()),
            }
    return parsed


def snakemake_jobs() -> dict[str, dict]:
    """Every job of a forced dry run, parsed from Snakemake's own job listing."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-F", "-p", "--cores", "1"],
        cwd=REPO, env=tool_env(REPO), capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    jobs: dict[str, dict] = {}
    current = None
    for line in (proc.stdout + proc.stderr).splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line.strip()):
            current = {"rule": match.group(1), "inputs": set(), "outputs": set(), "command": None}
            jobs[f"job{len(jobs)}"] = current
        elif current is not None and (match := re.match(r"^\s+wildcards: (.*)$", line)):
            # DVC names a foreach stage `rule@item`; our wildcard rules have one wildcard each.
            current["rule"] += "@" + ",".join(v.split("=", 1)[1] for v in match.group(1).split(", "))
        elif current is not None and (match := re.match(r"^\s+(input|output): (.*)$", line)):
            current[f"{match.group(1)}s"] = {p.strip() for p in match.group(2).split(",")}
        elif current is not None and line.startswith("Shell command:"):
            current["command"] = line.removeprefix("Shell command:").strip()
    jobs = {job.pop("rule"): job for job in jobs.values()}
    jobs.pop("all", None)
    for job in jobs.values():
        found = CONFIG_JSON.search(job["command"] or "")
        job["params"] = set(json.loads(shlex.split(found.group(1))[0])) if found else set()
        job["command"] = " ".join(CONFIG_JSON.sub("", job["command"] or "").split())
    return jobs


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict]:
    return dvc_stages(), snakemake_jobs()


def test_same_stages(both):
    dvc, smk = both
    assert sorted(dvc) == sorted(smk)


@pytest.mark.parametrize("field", ["inputs", "outputs", "params", "command"])
def test_each_stage_agrees(both, field):
    dvc, smk = both
    differences = {
        name: {"dvc": dvc[name][field], "snakemake": smk[name][field]}
        for name in sorted(set(dvc) & set(smk))
        if dvc[name][field] != smk[name][field]
    }
    assert not differences, f"dvc.yaml and the Snakefile disagree on {field}: {differences}"


def test_every_declared_file_is_under_data_or_results(both):
    dvc, _ = both
    for name, stage in dvc.items():
        for path in stage["outputs"]:
            assert Path(path).parts[0] in {"data", "results"}, f"{name}: output {path} outside data/ results/"


def test_every_code_dependency_exists(both):
    dvc, _ = both
    for name, stage in dvc.items():
        for path in stage["inputs"]:
            if path.endswith(".py"):
                assert (REPO / path).exists(), f"{name}: dependency {path} does not exist"
