"""dvc.yaml is generated from the stage table: the checked-in file must be what the generator writes."""

from __future__ import annotations

import shutil

import yaml

from reviewgen.pipeline import dvc_yaml
from tests.conftest import REPO


def test_checked_in_dvc_yaml_is_current():
    assert dvc_yaml.render(REPO) == (REPO / "dvc.yaml").read_text(encoding="utf-8"), \
        "dvc.yaml is stale: run python -m reviewgen.pipeline.dvc_yaml --write"


def test_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path):
    for name in ("params.yaml", "workflow", "src"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, tmp_path / name)
    (tmp_path / "dvc.yaml").write_text((REPO / "dvc.yaml").read_text().replace("--log-file logs/join.log", ""))
    assert dvc_yaml.main(["--check", "--root", str(tmp_path)]) == 1
    assert dvc_yaml.main(["--write", "--root", str(tmp_path)]) == 0
    assert dvc_yaml.main(["--check", "--root", str(tmp_path)]) == 0


def test_repeated_stages_stay_foreach_over_params():
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    assert stages["train_charlm"]["foreach"] == "${charlm.archs}"
    assert stages["train_tense_cvae"]["foreach"] == "${tense_variants}"
    assert "charlm.${item}" in stages["train_charlm"]["do"]["params"]
    # Reports name no model: they depend on the folders and read the list from params.
    overview = stages["report_overview"]
    assert {"results/metrics", "results/histories", "results/samples"} <= set(overview["deps"])
    assert "lstm" not in overview["cmd"] and {"charlm.archs", "tense_variants"} <= set(overview["params"])


def test_a_model_added_in_params_leaves_dvc_yaml_current(tmp_path):
    for name in ("params.yaml", "workflow", "src", "dvc.yaml"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, tmp_path / name)
    params = yaml.safe_load((tmp_path / "params.yaml").read_text())
    params["charlm"]["archs"].append("lstm_wide")
    params["charlm"]["lstm_wide"] = {**params["charlm"]["lstm"], "cell": "lstm"}
    params["tense_variants"]["wide"] = {"model": {"hidden": 48}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert dvc_yaml.main(["--check", "--root", str(tmp_path)]) == 0


def test_charts_over_several_models_draw_report_overviews_tables():
    charts = {k: v for entry in yaml.safe_load((REPO / "dvc.yaml").read_text())["plots"] for k, v in entry.items()}
    assert charts["charlm_valid_loss"]["y"] == {"results/plots/charlm_valid_loss.csv": "valid_loss"}
    assert charts["charlm_valid_loss"]["template"] == dvc_yaml.BY_MODEL
    assert (REPO / ".dvc" / "plots" / f"{dvc_yaml.BY_MODEL}.json").is_file()
    assert charts["wordlm_loss"]["y"] == {"results/histories/wordlm.csv": ["train_loss", "valid_loss"]}
    assert not any("charlm-" in path or "tense_cvae-" in path for chart in charts.values() for path in chart["y"])
