"""The documented range of every audio feature, and the check every source's values go through.

One table, so the synthetic corpus, a local table and Spotify are held to the same ranges. A value that
is not a number, is missing, or lies outside its range is dropped (the track then has no value for that
feature) and counted by reason and feature; ``strict`` makes it a one-line error naming file, row, column.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ranges are read without pandas (the CLI checks its flags with them)
    import pandas as pd

from reviewgen.config import ConfigError

# (low, high, low_inclusive); None means unbounded. Ranges follow Spotify's audio-features reference.
FEATURE_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "acousticness": (0.0, 1.0, True),
    "danceability": (0.0, 1.0, True),
    "energy": (0.0, 1.0, True),
    "instrumentalness": (0.0, 1.0, True),
    "liveness": (0.0, 1.0, True),
    "speechiness": (0.0, 1.0, True),
    "valence": (0.0, 1.0, True),
    "tempo": (0.0, None, False),  # beats per minute: strictly positive
    "loudness": (-60.0, 0.0, True),  # dB
    "key": (-1.0, 11.0, True),  # pitch class, -1 = none detected
    "mode": (0.0, 1.0, True),
    "time_signature": (3.0, 7.0, True),
    "duration_ms": (0.0, None, False),
    "popularity": (0.0, 100.0, True),
}


def describe(name: str) -> str:
    """The range of ``name`` as text, e.g. ``[0, 1]`` or ``> 0``."""
    low, high, inclusive = FEATURE_RANGES[name]
    if high is None:
        return f"{'>=' if inclusive else '>'} {low:g}"
    return f"[{low:g}, {high:g}]"


def range_of(name: str) -> tuple[float | None, float | None, bool]:
    if name not in FEATURE_RANGES:
        raise ConfigError(
            f"features.names: '{name}' has no documented range; add it to FEATURE_RANGES in "
            "src/reviewgen/data/feature_ranges.py"
        )
    return FEATURE_RANGES[name]


def classify(name: str, value: object) -> tuple[float, str | None]:
    """``value`` as a float and None when it is good, else NaN and why: missing, non_numeric, out_of_range."""
    low, high, inclusive = range_of(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan, "missing"
    if isinstance(value, bool):
        return math.nan, "non_numeric"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan, "non_numeric"
    if math.isnan(number):
        return math.nan, "missing"
    below = low is not None and (number < low if inclusive else number <= low)
    above = high is not None and number > high
    if below or above or math.isinf(number):
        return math.nan, "out_of_range"
    return number, None


def check_values(
    table: pd.DataFrame, names: list[str], where: str, strict: bool, first_row: int = 1
) -> tuple[pd.DataFrame, Counter]:
    """``table`` with bad values of ``names`` set to NaN, and counts keyed ``(reason, feature)``.

    ``first_row`` is the row number of the table's first row in ``where`` (2 for a csv with a header).
    """
    import pandas as pd

    counts: Counter = Counter()
    out = table.copy()
    for name in names:
        checked = []
        for offset, value in enumerate(table[name].tolist()):
            number, reason = classify(name, value)
            if reason is not None:
                if strict:
                    raise ConfigError(
                        f"{where}: row {first_row + offset}, column '{name}': {reason.replace('_', ' ')} "
                        f"value {value!r} (range {describe(name)}; features.strict_values: true)"
                    )
                counts[(reason, name)] += 1
            checked.append(number)
        out[name] = pd.Series(checked, index=table.index, dtype="float64")
    return out, counts


def count_conflicts(table: pd.DataFrame, names: list[str]) -> int:
    """How many track ids appear on several rows whose (checked) feature values differ."""
    ids = table["track_id"].where(table["track_id"].notna(), None)
    keyed = table.assign(_id=ids.astype(object)).dropna(subset=["_id"])
    keyed = keyed[keyed["_id"].astype(str).str.strip() != ""]
    if keyed.empty:
        return 0
    distinct = keyed.drop_duplicates(subset=["_id", *names])
    return int((distinct.groupby("_id").size() > 1).sum())


def report_block(counts: Counter, conflicts: int) -> dict:
    """The ``bad_values`` part of features_report.json: counts by reason, then feature."""
    by_reason: dict[str, dict[str, int]] = {}
    for (reason, name), n in sorted(counts.items()):
        by_reason.setdefault(reason, {})[name] = int(n)
    return {"bad_values": by_reason, "bad_values_total": int(sum(counts.values())), "conflicting_tracks": conflicts}
