"""The pipeline as each orchestrator sees it: DVC's resolved stages and Snakemake's planned jobs.

Both name a job the DVC way: ``stage`` or, for a foreach stage / wildcard rule, ``stage@item``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import tool_env

CONFIG_JSON = re.compile(r"--config-json\s+('(?:[^']|'\\'')*'|\S+)")


def dvc_stages(root: Path) -> dict[str, dict]:
    """Every stage as DVC resolves it (foreach expanded), read through DVC's own index."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    parsed = {}
    with Repo(str(root)) as repo:
        for stage in repo.index.stages:
            params = [d for d in stage.deps if isinstance(d, ParamsDependency)]
            parsed[stage.name] = {
                "inputs": {d.def_path for d in stage.deps if not isinstance(d, ParamsDependency)},
                "outputs": {o.def_path for o in stage.outs},
                "params": {key for d in params for key in d.params},
                "command": " ".join(stage.cmd.split()),
            }
    return parsed


def consumes(inputs: set[str], outputs: set[str]) -> bool:
    """An input is an output, or a folder holding one (how DVC links a report to the models it reads)."""
    return any(out == dep or Path(dep) in Path(out).parents for out in outputs for dep in inputs)


def downstream(stages: dict[str, dict], first: str) -> set[str]:
    """``first`` and every stage that consumes its outputs, transitively."""
    found, frontier = {first}, [first]
    while frontier:
        current = frontier.pop()
        for name, stage in stages.items():
            if name not in found and consumes(stage["inputs"], stages[current]["outputs"]):
                found.add(name)
                frontier.append(name)
    return found


def snakemake_jobs(root: Path, *args: str) -> dict[str, dict]:
    """The jobs of a Snakemake dry run (``-n -p`` plus ``args``), parsed from its own job listing."""
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--cores", "2", *args], cwd=root,
                          env=tool_env(root), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    jobs: list[dict] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line.strip()):
            jobs.append({"name": match.group(1), "inputs": set(), "outputs": set(), "command": ""})
        elif jobs and (match := re.match(r"^\s+wildcards: (.*)$", line)):
            jobs[-1]["name"] += "@" + ",".join(v.split("=", 1)[1] for v in match.group(1).split(", "))
        elif jobs and (match := re.match(r"^\s+(input|output): (.*)$", line)):
            jobs[-1][f"{match.group(1)}s"] = {p.strip() for p in match.group(2).split(",")}
        elif jobs and line.startswith("Shell command:"):
            jobs[-1]["command"] = line.removeprefix("Shell command:").strip()
    parsed = {}
    for job in jobs:
        found = CONFIG_JSON.search(job["command"])
        job["params"] = set(json.loads(shlex.split(found.group(1))[0])) if found else set()
        job["command"] = " ".join(CONFIG_JSON.sub("", job["command"]).split())
        parsed[job.pop("name")] = job
    parsed.pop("all", None)
    return parsed
