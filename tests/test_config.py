"""The params schema as DVC runs meet it: reviewgen.config validates the file a script reads."""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reviewgen.config import ConfigError, deep_merge, load_params, stage_config, validate_params

ROOT = Path(__file__).resolve().parents[1]
BASE = load_params(ROOT / "params.yaml")
OVERLAYS = sorted((ROOT / "params").glob("*.yaml"))


def first_leaf(node: dict[str, Any], path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The dotted path of the first non-mapping value under ``node`` (depth first)."""
    for key, value in node.items():
        if isinstance(value, dict):
            found = first_leaf(value, (*path, key))
            if found:
                return found
        else:
            return (*path, key)
    return None


def with_value(params: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(params)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


# One leaf per section: a typo beside it and a wrong type in it must both name the path.
LEAVES = {name: first_leaf(section, (name,)) for name, section in BASE.items()}
# A mapping fits no leaf of params.yaml (no leaf is an open mapping at that depth).
WRONG_TYPE = {"not": "a scalar"}


def test_every_params_file_validates():
    validate_params(BASE, "params.yaml")
    for overlay in OVERLAYS:
        validate_params(deep_merge(BASE, load_params(overlay)), str(overlay))


@pytest.mark.parametrize("section", sorted(BASE))
def test_unknown_key_in_each_section_is_named(section):
    leaf = LEAVES[section]
    typo = (*leaf[:-1], "no_such_key")
    with pytest.raises(ConfigError, match=rf"unknown key '{'.'.join(typo)}'"):
        validate_params(with_value(BASE, typo, 1))


@pytest.mark.parametrize("section", sorted(BASE))
def test_wrong_type_in_each_section_is_named(section):
    leaf = LEAVES[section]
    with pytest.raises(ConfigError, match=rf"'{'.'.join(leaf)}':") as err:
        validate_params(with_value(BASE, leaf, WRONG_TYPE))
    assert "\n" not in str(err.value)


def test_sweep_grid_points_are_checked():
    bad = with_value(BASE, ("sweeps", "sentence_latent", "grid", "model.latent"), [16, "wide"])
    with pytest.raises(ConfigError, match=r"'sentence_vae\.model\.latent'"):
        validate_params(bad)
    missing = with_value(BASE, ("sweeps", "sentence_latent", "grid"), {"model.latnet": [16]})
    with pytest.raises(ConfigError, match=r"sentence_vae\.model\.latnet"):
        validate_params(missing)


def test_stage_config_validates_the_params_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(with_value(BASE, ("vocab", "char_min_frq"), 1)))
    args = argparse.Namespace(config_json=None, params=str(path), override=None)
    with pytest.raises(ConfigError, match=r"unknown key 'vocab\.char_min_frq'"):
        stage_config(args, ["vocab"])


def test_stage_config_checks_an_override():
    args = argparse.Namespace(config_json=None, params=str(ROOT / "params.yaml"), override='{"kl.kind": "wavy"}')
    with pytest.raises(ConfigError, match=r"'tense\.kl\.kind'"):
        stage_config(args, ["tense"])


def test_a_dvc_stage_script_stops_on_a_typo(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(with_value(BASE, ("vocab", "char_min_frq"), 1)))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "workflow/scripts/build_vocab.py"), "--params", str(path),
         "--sentences", str(out / "s.parquet"), "--words-out", str(out / "w"), "--chars-out", str(out / "c"),
         "--report-out", str(out / "r")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode != 0
    assert "vocab.char_min_frq" in proc.stderr


@pytest.mark.parametrize(("key", "variable"), [
    ("client_secret", "SPOTIPY_CLIENT_SECRET"),
    ("clientId", "SPOTIPY_CLIENT_ID"),
    ("token", "MLFLOW_TRACKING_TOKEN"),
])
def test_a_secret_in_params_is_refused_naming_its_environment_variable(key, variable):
    params = yaml.safe_load(Path("params.yaml").read_text())
    params["features"]["spotify"][key] = "hunter2"
    with pytest.raises(ConfigError) as err:
        validate_params(params)
    message = str(err.value)
    assert f"features.spotify.{key}" in message and variable in message and "hunter2" not in message
    assert "\n" not in message


def with_named_arch(name: str = "lstm_wide", **section: Any) -> dict[str, Any]:
    """BASE with one more character-LM architecture, named ``name``, its section ``section``."""
    params = copy.deepcopy(BASE)
    params["charlm"]["archs"].append(name)
    params["charlm"][name] = section
    return params


LSTM_WIDE = {"cell": "lstm", **copy.deepcopy(BASE["charlm"]["lstm"]), "model": {"emb_dim": 32, "hidden": 256}}


def test_an_architecture_may_have_a_name_of_its_own():
    validate_params(with_named_arch(**LSTM_WIDE))
    validate_params(with_named_arch("ff8", cell="ffngram", **BASE["charlm"]["ffngram"]))


@pytest.mark.parametrize(("params", "message"), [
    (with_named_arch(**{k: v for k, v in LSTM_WIDE.items() if k != "cell"}), r"'charlm\.lstm_wide' needs a cell"),
    (with_named_arch(**LSTM_WIDE, bptt_len=3), r"unknown key 'charlm\.lstm_wide\.bptt_len'"),
    (with_named_arch(**{**LSTM_WIDE, "cell": "transformer"}), r"'charlm\.lstm_wide\.cell': 'transformer' is not"),
    (with_named_arch("ff8", cell="ffngram", **BASE["charlm"]["lstm"]), r"unknown key 'charlm\.ff8\.batching'"),
    (with_value(BASE, ("charlm", "archs"), [*BASE["charlm"]["archs"], "lstm_wide"]),
     r"charlm\.archs lists 'lstm_wide' but there is no section charlm\.lstm_wide"),
    (with_value(BASE, ("charlm", "lstm_wide"), LSTM_WIDE),
     r"unknown key 'charlm\.lstm_wide' \(a typo, or an architecture charlm\.archs does not list\?"),
    (with_value(BASE, ("charlm", "lstm", "cell"), "gru"), r"'charlm\.lstm' is named after the lstm cell"),
    (with_value(BASE, ("charlm", "archs"), ["lstm", "data"]), r"lists 'data', which is a charlm setting"),
])
def test_a_bad_architecture_is_named_in_one_line(params, message):
    with pytest.raises(ConfigError, match=message) as err:
        validate_params(params)
    assert "\n" not in str(err.value)
