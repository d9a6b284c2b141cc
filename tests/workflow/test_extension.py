"""Declared once: a model added in params.yaml alone is trained and reported by both tools, and an edited
external input reruns its stage in both. Checked in a copy whose outputs are stand-in files recorded as up
to date (nothing trains), so each plan holds exactly what the edit calls for."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from reviewgen.pipeline.stages import STAGES, expand_path, lookup_in
from tests.conftest import PipelineCopy, make_pipeline_copy
from tests.workflow.dag import snakemake_jobs

pytestmark = pytest.mark.e2e
NEW_ARCH, NEW_VARIANT = "lstm", "wide"


def params_of(copy: PipelineCopy) -> dict:
    return yaml.safe_load((copy.root / "params.yaml").read_text())


def write_params(copy: PipelineCopy, params: dict) -> None:
    (copy.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def stand_in_outputs(copy: PipelineCopy) -> None:
    """A file at every output the params plan, then recorded as current by DVC and Snakemake."""
    lookup = lookup_in(params_of(copy))
    for stage in STAGES.values():
        for out in stage.outputs.values():
            for path in expand_path(out.path, stage, lookup):
                target = copy.root / path / "stand-in.txt" if out.folder else copy.root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"stand-in for {path}\n")
    copy.run("dvc", "commit", "--force", "--quiet")  # relinks outputs from its cache: new mtimes
    copy.run("snakemake", "--cores", "1", "--touch")  # so Snakemake's mtimes come after, in DAG order
    # Touching a folder output leaves a marker in it that DVC would count as a change to the folder.
    for marker in copy.root.glob("results/**/.snakemake_timestamp"):
        marker.unlink()


def dvc_changed(copy: PipelineCopy) -> set[str]:
    out = copy.run("dvc", "status").stdout
    return set(re.findall(r"^([\w@.-]+):", out, flags=re.M)) - {"changed deps", "changed outs"}


def dvc_dependents(copy: PipelineCopy, stage_name: str) -> set[str]:
    """The stages DVC links to ``stage_name``'s deps (its upstream edges)."""
    from dvc.repo import Repo

    with Repo(str(copy.root)) as repo:
        graph = repo.index.graph
        (stage,) = [s for s in graph.nodes if s.name == stage_name]
        return {s.name for s in graph.successors(stage)}


@pytest.fixture
def base(tmp_path: Path) -> PipelineCopy:
    """A copy planning the default models less one architecture and one variant, all up to date."""
    copy = make_pipeline_copy(tmp_path / "repo")
    params = params_of(copy)
    params["charlm"]["archs"] = [a for a in params["charlm"]["archs"] if a != NEW_ARCH]
    params["tense_variants"].pop(NEW_VARIANT, None)
    write_params(copy, params)
    stand_in_outputs(copy)
    assert dvc_changed(copy) == set() and snakemake_jobs(copy.root) == {}
    return copy


def test_a_model_added_in_params_is_trained_and_reported_by_both(base):
    params = params_of(base)
    params["charlm"]["archs"].append(NEW_ARCH)
    params["charlm"][NEW_ARCH]["model"]["hidden"] = 24  # its own section, read by its stage only
    params["tense_variants"][NEW_VARIANT] = {"model": {"hidden": 48}}
    write_params(base, params)
    planned = {f"train_charlm@{NEW_ARCH}", f"train_tense_cvae@{NEW_VARIANT}", "report_overview", "report_tense"}

    assert dvc_changed(base) == planned
    dry = base.run("dvc", "repro", "--dry").stdout
    assert set(re.findall(r"Running stage '([\w@.-]+)'", dry)) == planned
    assert f"train_charlm@{NEW_ARCH}" in dvc_dependents(base, "report_overview")
    assert f"train_tense_cvae@{NEW_VARIANT}" in dvc_dependents(base, "report_tense")

    jobs = snakemake_jobs(base.root)
    assert set(jobs) == planned
    assert {f"results/metrics/charlm-{NEW_ARCH}.json", f"results/samples/charlm-{NEW_ARCH}.txt",
            f"results/histories/charlm-{NEW_ARCH}.csv",
            f"results/histories/tense_cvae-{NEW_VARIANT}.csv"} <= jobs["report_overview"]["inputs"]
    assert {f"results/models/tense_cvae-{NEW_VARIANT}.pt",
            f"results/metrics/tense_cvae-{NEW_VARIANT}.json"} <= jobs["report_tense"]["inputs"]
    assert jobs["report_overview"]["params"] == {"charlm.archs", "tense_variants"}


def test_editing_an_external_reviews_file_reruns_its_stage_in_both(tmp_path):
    copy = make_pipeline_copy(tmp_path / "repo")
    reviews = copy.root / "data/external/reviews.csv"
    reviews.write_text("artist,song_title,content\na,b,first text\n")
    copy.set_params({"reviews": {"source": "csv", "path": "data/external/reviews.csv"}})
    stand_in_outputs(copy)
    assert dvc_changed(copy) == set() and snakemake_jobs(copy.root) == {}

    time.sleep(1.1)  # a newer modification time than the outputs', whatever the file system's resolution
    reviews.write_text("artist,song_title,content\na,b,edited text\n")
    assert "fetch_reviews" in dvc_changed(copy)
    jobs = snakemake_jobs(copy.root)
    assert "fetch_reviews" in jobs and "data/external/reviews.csv" in jobs["fetch_reviews"]["inputs"]
