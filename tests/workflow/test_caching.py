"""Caching must hold in both tools: an up-to-date pipeline does nothing, and changing one params key
reruns exactly the stages that read it and what depends on them (tests run in a copy, tiny params)."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import PipelineCopy

pytestmark = pytest.mark.e2e


def downstream_of(dvc_yaml: dict, first: str) -> set[str]:
    """``first`` and every stage that consumes its outputs, transitively."""
    stages = dvc_yaml["stages"]
    outs = {name: {o if isinstance(o, str) else next(iter(o)) for o in s.get("outs", [])}
            for name, s in stages.items()}
    found, frontier = {first}, [first]
    while frontier:
        current = frontier.pop()
        for name, stage in stages.items():
            if name not in found and outs[current] & set(stage.get("deps", [])):
                found.add(name)
                frontier.append(name)
    return found


def dvc_ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([\w@.-]+)'", output))


def snakemake_planned(copy: PipelineCopy) -> set[str]:
    proc = copy.run("snakemake", "-n", "--cores", "2")
    text = proc.stdout + proc.stderr
    return set(re.findall(r"^rule (\w+):$", text, flags=re.M)) - {"all"}


def test_dvc_runs_every_stage_and_writes_outputs(dvc_pipeline):
    stages = yaml.safe_load((dvc_pipeline.root / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        for out in stage.get("outs", []):
            path = out if isinstance(out, str) else next(iter(out))
            assert (dvc_pipeline.root / path).exists(), f"{name} did not write {path}"


def test_dvc_second_repro_runs_nothing(dvc_pipeline):
    proc = dvc_pipeline.run("dvc", "repro")
    assert dvc_ran(proc.stdout + proc.stderr) == set()


def test_dvc_vocab_change_reruns_only_downstream(dvc_pipeline):
    """build_vocab and what reads the word vocabulary rerun; nothing upstream does. DVC compares output
    hashes, so a stage reading only the (unchanged) character vocabulary is rightly skipped."""
    dvc_yaml = yaml.safe_load((dvc_pipeline.root / "dvc.yaml").read_text())
    words_before = (dvc_pipeline.root / "data/processed/vocab_words.json").read_text()
    dvc_pipeline.set_params({"vocab": {"min_freq": 3}})
    proc = dvc_pipeline.run("dvc", "repro")
    ran = dvc_ran(proc.stdout + proc.stderr)
    assert (dvc_pipeline.root / "data/processed/vocab_words.json").read_text() != words_before
    readers = {name for name, stage in dvc_yaml["stages"].items()
               if "data/processed/vocab_words.json" in stage.get("deps", [])}
    assert {"build_vocab"} | readers <= ran <= downstream_of(dvc_yaml, "build_vocab")


def test_snakemake_second_run_has_nothing_to_do(snakemake_pipeline):
    assert snakemake_planned(snakemake_pipeline) == set()


def test_snakemake_vocab_change_reruns_only_downstream(snakemake_pipeline):
    dvc_yaml = yaml.safe_load((snakemake_pipeline.root / "dvc.yaml").read_text())
    snakemake_pipeline.set_params({"vocab": {"min_freq": 3}})
    assert snakemake_planned(snakemake_pipeline) == downstream_of(dvc_yaml, "build_vocab")
    snakemake_pipeline.run("snakemake", "--cores", "2")
    assert snakemake_planned(snakemake_pipeline) == set()


def test_both_tools_produce_the_same_data(dvc_pipeline, snakemake_pipeline):
    import pandas as pd

    for path in ["data/processed/sentences.parquet", "data/interim/reviews.parquet"]:
        left = pd.read_parquet(dvc_pipeline.root / path)
        right = pd.read_parquet(snakemake_pipeline.root / path)
        pd.testing.assert_frame_equal(left, right)
