"""The stage table: every fact a stage has is consistent with the project on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewgen.config import load_params
from reviewgen.pipeline.stages import (
    CHARTS,
    PLACEHOLDER,
    STAGES,
    chart_tables,
    collected,
    collected_inputs,
    lookup_in,
)
from tests.conftest import REPO

PARAMS = load_params(REPO / "params.yaml")


@pytest.mark.parametrize("name", sorted(STAGES))
def test_placeholders_name_what_the_stage_declares(name):
    stage = STAGES[name]
    assert (REPO / stage.script).is_file()
    for match in re.finditer(PLACEHOLDER, stage.args):
        where, key = match.group(1), match.group(2)
        known = {"input": stage.inputs, "output": stage.outputs,
                 "params": {"checkpoint", *stage.folders} if stage.checkpoint else set(stage.folders),
                 "wildcards": {stage.repeat.wildcard} if stage.repeat else set(), None: {None}}[where]
        assert key in known, f"{name}: {match.group(0)} is not declared"
    assert "{log}" in stage.args, f"{name}: the script must log to logs/<stage>.log"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_params_sections_exist(name):
    stage = STAGES[name]
    lookup = lookup_in(PARAMS)
    values = stage.repeat.values(lookup) if stage.repeat else [None]
    for section in stage.params:
        for value in values:
            lookup(section.replace(f"{{{stage.repeat.wildcard}}}", value) if stage.repeat else section)


def test_collected_files_are_training_outputs_inside_their_folder():
    for stage in STAGES.values():
        for collect in stage.collect.values():
            files = collected(collect, lookup_in(PARAMS))
            assert files and all(Path(collect.folder) in Path(f).parents for f in files)
    # No stage may write into a collected folder except the training stages it collects from.
    for stage in STAGES.values():
        for collect in stage.collect.values():
            sources = {name for name, _ in collect.sources}
            for other in STAGES.values():
                if other.name not in sources:
                    inside = [o.path for o in other.outputs.values() if Path(collect.folder) in Path(o.path).parents]
                    assert not inside or other.name.startswith("train_"), f"{other.name} writes into {collect.folder}"


def test_collected_inputs_follow_params():
    cfg = {"charlm.archs": ["lstm", "newarch"], "tense_variants": {"default": {}, "wide": {}}}
    found = collected_inputs("report_overview", cfg)
    assert found["charlm_metrics"] == ["results/metrics/charlm-ngram.json", "results/metrics/charlm-lstm.json",
                                       "results/metrics/charlm-newarch.json"]
    assert "results/histories/tense_cvae-wide.csv" in found["histories"]
    assert collected_inputs("report_tense", cfg)["models"] == ["results/models/tense_cvae-default.pt",
                                                              "results/models/tense_cvae-wide.pt"]


def test_charts_draw_plot_outputs():
    for chart in CHARTS.values():
        for name, output in chart.sources:
            assert STAGES[name].outputs[output].kind == "plot"


def test_multi_model_charts_follow_params_and_read_what_report_overview_collects():
    cfg = {"charlm.archs": ["lstm", "lstm_wide"], "tense_variants": {"default": {}, "wide": {}}}
    tables = chart_tables(cfg)
    assert tables["charlm_valid_loss"] == (("valid_loss",), ["results/histories/charlm-lstm.csv",
                                                             "results/histories/charlm-lstm_wide.csv"])
    assert tables["tense_bleu"][1] == ["results/histories/tense_cvae-default.csv",
                                       "results/histories/tense_cvae-wide.csv"]
    assert "wordlm_loss" not in tables  # one model: its chart draws the history itself
    # report_overview writes the tables from the histories it depends on, into its own plots folder.
    histories = set(collected_inputs("report_overview", cfg)["histories"])
    plots = STAGES["report_overview"].outputs["plots"].path
    for chart_id, (_, files) in tables.items():
        assert set(files) <= histories and CHARTS[chart_id].table(chart_id).startswith(plots + "/")
