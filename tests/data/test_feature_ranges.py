"""Tests for reviewgen.data.feature_ranges: the range table and the per-value check."""

from __future__ import annotations

import math

import pytest

from reviewgen.config import ConfigError
from reviewgen.data.feature_ranges import FEATURE_RANGES, classify, describe, range_of

CASES = [
    ("energy", 0.0, None),
    ("energy", 1.0, None),
    ("energy", 1.7, "out_of_range"),
    ("valence", -0.2, "out_of_range"),
    ("danceability", "0.4", None),
    ("danceability", "high", "non_numeric"),
    ("energy", "", "missing"),
    ("energy", None, "missing"),
    ("energy", math.nan, "missing"),
    ("energy", math.inf, "out_of_range"),
    ("tempo", 0.0, "out_of_range"),
    ("tempo", 120.0, None),
    ("tempo", True, "non_numeric"),
]


@pytest.mark.parametrize(("name", "value", "reason"), CASES)
def test_classify(name, value, reason):
    number, why = classify(name, value)
    assert why == reason
    assert math.isnan(number) if reason else number == float(value)


def test_default_features_have_documented_ranges():
    for name in ["energy", "valence", "danceability", "tempo"]:
        assert name in FEATURE_RANGES
    assert describe("energy") == "[0, 1]"
    assert describe("tempo") == "> 0"


def test_feature_without_a_range_is_a_config_error():
    with pytest.raises(ConfigError, match="FEATURE_RANGES"):
        range_of("wobble")
