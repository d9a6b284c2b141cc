import json

import pytest

from reviewgen.config import ConfigError, apply_overrides
from reviewgen.sweeps import grid_points


def test_grid_points_cover_every_combination_with_readable_ids():
    points = grid_points({"stage": "tense", "grid": {"model.cell": ["lstm", "gru"], "kl.kind": ["a", "b"]}}, "s")
    assert [p for p, _ in points] == ["kl.kind=a,model.cell=lstm", "kl.kind=a,model.cell=gru",
                                      "kl.kind=b,model.cell=lstm", "kl.kind=b,model.cell=gru"]
    assert points[-1][1] == {"kl.kind": "b", "model.cell": "gru"}


@pytest.mark.parametrize("sweep", [{"stage": "wordlm", "grid": {"a": [1]}}, {"stage": "tense", "grid": {"a": []}}])
def test_bad_sweeps_are_refused_with_the_key(sweep):
    with pytest.raises(ConfigError, match="sweeps.s"):
        grid_points(sweep, "s")


def test_overrides_set_nested_keys_and_refuse_unknown_ones():
    section = {"model": {"cell": "lstm", "hidden": 8}, "kl": {"kind": "monotonic"}}
    assert apply_overrides(section, {"model.cell": "gru"}, "tense")["model"] == {"cell": "gru", "hidden": 8}
    assert section["model"]["cell"] == "lstm", "the params section itself is left untouched"
    with pytest.raises(ConfigError, match="tense.model.cel"):
        apply_overrides(section, {"model.cel": "gru"}, "tense")
    assert json.dumps(apply_overrides(section, {}, "tense")) == json.dumps(section)
