"""Declared once: a model added in params.yaml alone is trained and reported by both tools and drawn by
`dvc plots`, with dvc.yaml unchanged, and an edited external input reruns its stage in both. Checked in
a copy whose outputs are stand-in files recorded as up to date (nothing trains), so each plan holds
exactly what the edit calls for."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml

from reviewgen.pipeline import dvc_yaml
from reviewgen.pipeline.stages import CHARTS, STAGES, chart_tables, expand_path, lookup_in
from reviewgen.reports.overview import write_chart_tables
from tests.conftest import PipelineCopy, make_pipeline_copy
from tests.workflow.dag import snakemake_jobs

pytestmark = pytest.mark.e2e
# An architecture with a name of its own (its cell says what it is) and a tense variant.
NEW_ARCH, NEW_VARIANT = "lstm_wide", "wide"
# Every history column a chart draws: the stand-in histories hold them all.
CHART_COLUMNS = sorted({column for chart in CHARTS.values() for column in chart.y})


def params_of(copy: PipelineCopy) -> dict:
    return yaml.safe_load((copy.root / "params.yaml").read_text())


def write_params(copy: PipelineCopy, params: dict) -> None:
    (copy.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def stand_in_files(copy: PipelineCopy) -> None:
    """A file at every output the params plan: what running the stages would leave there."""
    lookup = lookup_in(params_of(copy))
    for stage in STAGES.values():
        for out in stage.outputs.values():
            for path in expand_path(out.path, stage, lookup):
                target = copy.root / path / "stand-in.txt" if out.folder else copy.root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                if out.kind == "plot":  # a history: two epochs of every charted column
                    rows = [",".join(["epoch", *CHART_COLUMNS])] + [f"{e}," + ",".join(["0.5"] * len(CHART_COLUMNS))
                                                                      for e in (1, 2)]
                    target.write_text("\n".join(rows) + "\n")
                else:
                    target.write_text(f"stand-in for {path}\n")


def stand_in_outputs(copy: PipelineCopy) -> None:
    """Stand-in outputs, report_overview's chart tables among them, recorded as current by both tools."""
    stand_in_files(copy)
    write_tables(copy)
    copy.run("dvc", "commit", "--force", "--quiet")  # relinks outputs from its cache: new mtimes
    copy.run("snakemake", "--cores", "1", "--touch")  # so Snakemake's mtimes come after, in DAG order
    # Touching a folder output leaves a marker in it that DVC would count as a change to the folder.
    for marker in copy.root.glob("results/**/.snakemake_timestamp"):
        marker.unlink()


def write_tables(copy: PipelineCopy) -> None:
    """What report_overview writes for the multi-model charts, from the histories params names now."""
    params = params_of(copy)
    tables = chart_tables({"charlm.archs": params["charlm"]["archs"], "tense_variants": params["tense_variants"]})
    write_chart_tables({chart: (columns, [copy.root / f for f in files]) for chart, (columns, files) in tables.items()},
                       copy.root / "results/plots")


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


def charted_models(copy: PipelineCopy) -> dict[str, set[str]]:
    """The models each top-level chart draws, as DVC resolves and renders them (``dvc plots show``)."""
    shown = json.loads(copy.run("dvc", "plots", "show", "--json").stdout)
    charts = [chart for chart, entry in CHARTS.items() if entry.across_models]
    # Stage plots of models not trained yet fail to load here; the charts must not.
    errors = [e for e in shown.get("errors", []) if e["name"] in charts]
    assert not errors, errors
    return {chart: {row["model"] for row in shown["data"][chart][0]["content"]["data"]["values"]} for chart in charts}


@pytest.fixture
def base(tmp_path: Path) -> PipelineCopy:
    """A copy planning the default models (less the variant the test adds), all up to date."""
    copy = make_pipeline_copy(tmp_path / "repo")
    params = params_of(copy)
    assert NEW_ARCH not in params["charlm"]["archs"]
    params["tense_variants"].pop(NEW_VARIANT, None)
    write_params(copy, params)
    stand_in_outputs(copy)
    assert dvc_changed(copy) == set() and snakemake_jobs(copy.root) == {}
    return copy


def test_a_model_added_in_params_is_trained_and_reported_by_both(base):
    params = params_of(base)
    params["charlm"]["archs"].append(NEW_ARCH)
    # A section of its own, read by its stage only: an LSTM with other sizes.
    params["charlm"][NEW_ARCH] = {**params["charlm"]["lstm"], "cell": "lstm",
                                  "model": {**params["charlm"]["lstm"]["model"], "hidden": 24}}
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
    assert jobs[f"train_charlm@{NEW_ARCH}"]["params"] >= {f"charlm.{NEW_ARCH}"}

    # dvc.yaml names no model, so the edit leaves it current, and DVC's charts draw the new models once
    # they are trained and report_overview has written its tables (stand-ins and its table writer here).
    assert dvc_yaml.main(["--check", "--root", str(base.root)]) == 0
    before = charted_models(base)
    assert f"charlm-{NEW_ARCH}" not in before["charlm_valid_loss"] and "charlm-lstm" in before["charlm_valid_loss"]
    stand_in_files(base)
    write_tables(base)
    after = charted_models(base)
    assert after["charlm_valid_loss"] == before["charlm_valid_loss"] | {f"charlm-{NEW_ARCH}"}
    for chart in ("tense_valid_loss", "tense_bleu", "tense_kl"):
        assert after[chart] == before[chart] | {f"tense_cvae-{NEW_VARIANT}"}


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
