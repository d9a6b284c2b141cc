"""`snakemake --lint` has nothing to say: every rule has a log, a software environment, no stray paths."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from tests.conftest import REPO, tool_env


def test_lint_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, env=tool_env(REPO),
                          capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    # Snakemake exits 1 when it prints findings; the message is the other half of the check.
    assert proc.returncode == 0 and "Lints for" not in output, output


def test_conda_env_pins_the_locked_versions():
    """The rules' conda env cannot read requirements.lock (Snakemake copies the file to build it), so the
    versions it pins must be the lock's."""
    locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (REPO / "requirements.lock").read_text(), re.M))
    locked = {name.lower(): version for name, version in locked.items()}
    env = yaml.safe_load((REPO / "workflow/envs/reviewgen.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = dict(line.split("==") for line in pip)
    assert pinned and all(locked.get(name.lower()) == version for name, version in pinned.items()), pinned
    direct = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {name.lower() for name in direct} <= {name.lower() for name in pinned}
