"""Every library module a stage runs is a declared dependency, so editing it reruns the stage.

Shared plumbing (params, file helpers, tracking, the run-time set-up) is left out on purpose: a change
there must not retrain every model. Everything else a script imports, transitively, must be listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.workflow.dag import dvc_stages

PLUMBING = {
    "reviewgen", "reviewgen.config", "reviewgen.io", "reviewgen.stage", "reviewgen.tracking",
    "reviewgen.experiments", "reviewgen.experiments.common", "reviewgen.training.runtime",
    "reviewgen.training.checkpoint", "reviewgen.models.registry", "reviewgen.models.sampling",
    "reviewgen.training.batching", "reviewgen.evaluation.metrics", "reviewgen.data.vocab", "reviewgen.data.tokens",
    "reviewgen.data", "reviewgen.models", "reviewgen.training", "reviewgen.evaluation",
}


def module_path(name: str) -> Path | None:
    base = REPO / "src" / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    package = ".".join(path.relative_to(REPO / "src").with_suffix("").parts[:-1]) if "src" in path.parts else ""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if module_path(f"{base}.{a.name}")}
    return {m for m in found if m.startswith("reviewgen") and module_path(m)}


def closure(script: Path) -> set[str]:
    seen: set[str] = set()
    frontier = list(imported_modules(script))
    while frontier:
        name = frontier.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in PLUMBING:  # what plumbing imports (e.g. every model class) is not the stage's code
            frontier += imported_modules(module_path(name))
    return seen


@pytest.mark.parametrize("stage_name,stage", sorted(dvc_stages(REPO).items()))
def test_stage_lists_the_modules_it_runs(stage_name, stage):
    script = next(p for p in stage["inputs"] if p.startswith("workflow/scripts/"))
    needed = {str(module_path(m).relative_to(REPO)) for m in closure(REPO / script) - PLUMBING}
    missing = needed - stage["inputs"]
    assert not missing, f"{stage_name}: add to dvc.yaml deps and the Snakemake rule's inputs: {sorted(missing)}"
