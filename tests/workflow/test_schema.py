"""The params schema as Snakemake meets it: snakemake.utils.validate, as the Snakefile calls it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from reviewgen.config import deep_merge, load_params
from tests.test_config import BASE, LEAVES, OVERLAYS, WRONG_TYPE, with_value

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = str(ROOT / "workflow" / "schemas" / "params.schema.yaml")


def test_every_params_file_validates():
    validate(BASE, SCHEMA)
    for overlay in OVERLAYS:
        validate(deep_merge(BASE, load_params(overlay)), SCHEMA)


@pytest.mark.parametrize("section", sorted(BASE))
def test_unknown_key_in_each_section_is_named(section):
    typo = (*LEAVES[section][:-1], "no_such_key")
    with pytest.raises(WorkflowError, match="'no_such_key' was unexpected"):
        validate(with_value(BASE, typo, 1), SCHEMA)


@pytest.mark.parametrize("section", sorted(BASE))
def test_wrong_type_in_each_section_is_named(section):
    with pytest.raises(WorkflowError, match=f"properties']\\['{section}'"):
        validate(with_value(BASE, LEAVES[section], WRONG_TYPE), SCHEMA)


def test_the_snakefile_validates_its_config(tmp_path):
    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump({"vocab": {"char_min_frq": 1}}))
    proc = subprocess.run(
        ["snakemake", "-n", "--cores", "1", "--configfile", str(typo)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode != 0
    assert "'char_min_frq' was unexpected" in proc.stdout + proc.stderr


@pytest.mark.parametrize(("section", "message"), [
    ({"model": {"hidden": 48}}, "'charlm.lstm_wide' needs a cell"),
    (None, "charlm.archs lists 'lstm_wide' but there is no section charlm.lstm_wide"),
])
def test_the_snakefile_names_a_bad_architecture_of_the_users_naming(tmp_path, section, message):
    extra = {"charlm": {"archs": [*BASE["charlm"]["archs"], "lstm_wide"],
                        **({"lstm_wide": section} if section else {})}}
    overlay = tmp_path / "arch.yaml"
    overlay.write_text(yaml.safe_dump(extra))
    proc = subprocess.run(["snakemake", "-n", "--cores", "1", "--configfile", str(overlay)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
