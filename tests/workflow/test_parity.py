"""dvc.yaml and the Snakemake DAG must declare the same stages, inputs, outputs, params and commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.workflow.dag import dvc_stages, snakemake_jobs


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict]:
    return dvc_stages(REPO), snakemake_jobs(REPO, "-F")


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
