"""Caching must hold in both tools: an up-to-date pipeline does nothing, and changing one params key
reruns exactly the stages that read it and what depends on them (tests run in a copy, tiny params)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PipelineCopy
from tests.workflow.dag import downstream, dvc_stages, snakemake_jobs

pytestmark = pytest.mark.e2e


def dvc_ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([\w@.-]+)'", output))


def snakemake_planned(copy: PipelineCopy) -> set[str]:
    return set(snakemake_jobs(copy.root))


def test_dvc_runs_every_stage_and_writes_outputs(dvc_pipeline):
    for name, stage in dvc_stages(dvc_pipeline.root).items():
        for path in stage["outputs"]:
            assert (dvc_pipeline.root / path).exists(), f"{name} did not write {path}"


def test_dvc_second_repro_runs_nothing(dvc_pipeline):
    proc = dvc_pipeline.run("dvc", "repro")
    assert dvc_ran(proc.stdout + proc.stderr) == set()


def test_dvc_vocab_change_reruns_only_downstream(dvc_pipeline):
    """build_vocab and what reads the word vocabulary rerun; nothing upstream does. DVC compares output
    hashes, so a stage reading only the (unchanged) character vocabulary is rightly skipped."""
    stages = dvc_stages(dvc_pipeline.root)
    words_before = (dvc_pipeline.root / "data/processed/vocab_words.json").read_text()
    dvc_pipeline.set_params({"vocab": {"min_freq": 3}})
    proc = dvc_pipeline.run("dvc", "repro")
    ran = dvc_ran(proc.stdout + proc.stderr)
    assert (dvc_pipeline.root / "data/processed/vocab_words.json").read_text() != words_before
    readers = {name for name, stage in stages.items() if "data/processed/vocab_words.json" in stage["inputs"]}
    assert {"build_vocab"} | readers <= ran <= downstream(stages, "build_vocab")


def test_snakemake_second_run_has_nothing_to_do(snakemake_pipeline):
    assert snakemake_planned(snakemake_pipeline) == set()


def test_snakemake_vocab_change_reruns_only_downstream(snakemake_pipeline):
    # Snakemake's own file-level graph: unlike DVC it follows a report to the model files it reads only.
    stages = snakemake_jobs(snakemake_pipeline.root, "-F")
    snakemake_pipeline.set_params({"vocab": {"min_freq": 3}})
    # Snakemake goes by modification times: everything downstream of build_vocab reruns.
    assert snakemake_planned(snakemake_pipeline) == downstream(stages, "build_vocab")
    snakemake_pipeline.run("snakemake", "--cores", "2")
    assert snakemake_planned(snakemake_pipeline) == set()


def test_both_tools_produce_the_same_data(dvc_pipeline, snakemake_pipeline):
    import pandas as pd

    for path in ["data/processed/sentences.parquet", "data/interim/reviews.parquet"]:
        left = pd.read_parquet(dvc_pipeline.root / path)
        right = pd.read_parquet(snakemake_pipeline.root / path)
        pd.testing.assert_frame_equal(left, right)
