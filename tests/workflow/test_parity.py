"""dvc.yaml and the Snakemake DAG, both made from the stage table, must plan the same stages with the
same inputs, outputs, params and commands.

DVC depends on a folder where a report reads every model params names (results/metrics/ ...) and on
data/external/ for external inputs; Snakemake lists the files. So an input agrees when Snakemake's file is
DVC's dependency or lies inside one, and every DVC dependency must stand for at least one Snakemake input
(data/external/ only while params configure no external file, as by default).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewgen.pipeline.stages import EXTERNAL
from tests.conftest import REPO
from tests.workflow.dag import dvc_stages, snakemake_jobs


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict]:
    return dvc_stages(REPO), snakemake_jobs(REPO, "-F")


def covers(dep: str, path: str) -> bool:
    return path == dep or Path(dep) in Path(path).parents


def input_mismatches(dvc_inputs: set[str], smk_inputs: set[str]) -> dict[str, list[str]]:
    uncovered = sorted(p for p in smk_inputs if not any(covers(d, p) for d in dvc_inputs))
    unused = sorted(d for d in dvc_inputs if d != EXTERNAL and not any(covers(d, p) for p in smk_inputs))
    return {key: value for key, value in (("only_snakemake", uncovered), ("only_dvc", unused)) if value}


def test_same_stages(both):
    dvc, smk = both
    assert sorted(dvc) == sorted(smk)


@pytest.mark.parametrize("field", ["outputs", "params", "command"])
def test_each_stage_agrees(both, field):
    dvc, smk = both
    differences = {
        name: {"dvc": dvc[name][field], "snakemake": smk[name][field]}
        for name in sorted(set(dvc) & set(smk))
        if dvc[name][field] != smk[name][field]
    }
    assert not differences, f"dvc.yaml and the Snakefile disagree on {field}: {differences}"


def test_each_stage_reads_the_same_inputs(both):
    dvc, smk = both
    differences = {name: found for name in sorted(set(dvc) & set(smk))
                   if (found := input_mismatches(dvc[name]["inputs"], smk[name]["inputs"]))}
    assert not differences, f"dvc.yaml and the Snakefile disagree on inputs: {differences}"


def test_input_comparison_sees_a_mismatch():
    """The folder rule must not hide a real difference in either direction."""
    assert input_mismatches({"results/metrics", "a.py"}, {"results/metrics/x.json", "a.py"}) == {}
    assert input_mismatches({"results/metrics"}, {"results/metrics/x.json", "b.py"}) == {"only_snakemake": ["b.py"]}
    assert input_mismatches({"results/metrics", "c.py"}, {"results/metrics/x.json"}) == {"only_dvc": ["c.py"]}
    assert input_mismatches({"results/metric"}, {"results/metrics/x.json"}) != {}


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
