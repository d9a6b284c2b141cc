"""Every library module a stage runs is a declared dependency in both tools, so editing it reruns the stage.

The declared lists come from the import closure (reviewgen.pipeline.imports). Checked here against
what Python itself loads: importing each stage script in a fresh interpreter must load no reviewgen module
that dvc.yaml leaves out (lazy imports inside functions are the closure's job, tested with a made-up package
in tests/pipeline/test_imports.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewgen.pipeline.imports import code_deps
from reviewgen.pipeline.stages import STAGES
from tests.conftest import REPO
from tests.workflow.dag import dvc_stages

# Imports a script as a module (its main() does not run) and prints the reviewgen files then loaded.
LOADED = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("stage_script", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items()
                        if n.split(".")[0] == "reviewgen" and getattr(m, "__file__", None))))
"""


@pytest.fixture(scope="module")
def dvc() -> dict[str, dict]:
    """DVC's resolved stages by table name (a foreach stage by its first job: they share their code)."""
    resolved = dvc_stages(REPO)
    return {name: next(v for k, v in sorted(resolved.items()) if k.split("@")[0] == name) for name in STAGES}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_dvc_stage_lists_its_import_closure(dvc, name):
    declared = {p for p in dvc[name]["inputs"] if p.startswith("src/")}
    assert declared == set(code_deps(REPO, STAGES[name].script)), \
        f"{name}: dvc.yaml is stale; run python -m reviewgen.pipeline.dvc_yaml --write"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_what_python_loads_is_declared(dvc, name):
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", LOADED, str(REPO / STAGES[name].script)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded = {str(Path(f).resolve().relative_to(REPO)) for f in json.loads(proc.stdout)}
    missing = loaded - dvc[name]["inputs"]
    assert not missing, f"{name}: runs {sorted(missing)} but does not depend on them"
