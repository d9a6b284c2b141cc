"""Markdown tables for the reports: the generic table, the character-LM comparison, the word counts.

The comparison reads what the char-LM stages already wrote: their metrics dicts and their samples
files (see ``reviewgen.experiments.charlm.format_samples`` for the format ``parse_samples`` reads).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_scalar

_HEADING = re.compile(r"^## temperature\s+(\S+)\s*$")
SAMPLE_TEMPERATURES = (0.5, 1.0)


def _cell(value: object, float_format: str) -> str:
    """One table cell: floats formatted, missing values blank, pipes escaped and newlines flattened
    so that a sample of generated text can never break the table's layout."""
    if value is None or (is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        text = format(value, float_format)
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, float_format: str = ".4g") -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (no index); numeric columns are right-aligned."""
    header = [_cell(str(c), float_format) for c in frame.columns]
    align = ["---:" if is_numeric_dtype(frame[c]) and not is_bool_dtype(frame[c]) else "---"
             for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    for row in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_cell(v, float_format) for v in row) + " |")
    return "\n".join(lines) + "\n"


def parse_samples(text: str) -> dict[float, list[str]]:
    """Samples per temperature from a samples file: a ``# title`` line, then per temperature a
    ``## temperature T`` heading followed by one sample per line.

    Blank lines at the end of a section separate it from the next heading and are dropped; blank lines
    inside a section are kept as empty samples (a model may emit ``<eos>`` at once), so a section's
    sample count stays right unless its last samples are empty.
    """
    sections: dict[float, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = sections.setdefault(float(heading.group(1)), [])
        elif current is not None:
            current.append(line)
    for lines in sections.values():
        while lines and not lines[-1].strip():
            lines.pop()
    return sections


def _first_sample(by_temperature: Mapping[float, Sequence[str]], temperature: float) -> str | None:
    for key, lines in by_temperature.items():
        if math.isclose(float(key), temperature) and lines:
            return lines[0]
    return None


def charlm_comparison(metrics: list[dict], samples: Mapping[str, Mapping[float, Sequence[str]]]) -> str:
    """Markdown comparing the character LMs: size, speed (epoch time, training throughput), held-out
    bits per character, and the first sample at temperature 0.5 and 1.0 of each (blank where a model
    has none), in the order given."""
    rows = []
    for entry in metrics:
        by_temperature = samples.get(entry["model"], {})
        row = {
            "model": entry["model"],
            "parameters": entry.get("parameters"),
            "seconds per epoch": entry.get("seconds_per_epoch"),
            "train tokens per second": entry.get("train_tokens_per_second"),
            "held-out bits per char": entry.get("test_bits_per_char"),
        }
        for temperature in SAMPLE_TEMPERATURES:
            row[f"sample at T={temperature:g}"] = _first_sample(by_temperature, temperature)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return "No character-LM metrics were found.\n"
    # A parameter count reads better as an exact integer than as 4 significant digits.
    frame["parameters"] = frame["parameters"].map(lambda n: None if pd.isna(n) else f"{int(n):,}")
    frame["train tokens per second"] = frame["train tokens per second"].map(
        lambda n: None if pd.isna(n) else f"{round(n):,}")
    return markdown_table(frame, float_format=".3f")


def separating_words_markdown(comparison: pd.DataFrame, top: int = 30, feature: str = "energy",
                               by: str = "z") -> str:
    """The ``top`` words that most separate the sides (largest ``by`` towards high, smallest towards low).

    Raw counts put the same common words at the top of both sides; the log-odds z-score of
    ``evaluation.wordfreq.compare_counts`` ranks a word by how much more one side uses it, weighed by the evidence.
    """
    def side(part: pd.DataFrame, label: str) -> pd.DataFrame:
        part = part.reset_index(drop=True)
        return pd.DataFrame({f"{label} {feature}": part["word"],
                             f"{label} counts (high/low)": [f"{h}/{lo}" for h, lo in
                                                            zip(part["count_high"], part["count_low"], strict=True)],
                             f"{label} {by}": part[by].round(2)})

    ranked = comparison.sort_values([by, "word"], ascending=[False, True])
    high = ranked[ranked[by] > 0].head(top)
    low = comparison.sort_values([by, "word"], ascending=[True, True])
    low = low[low[by] < 0].head(top)
    table = pd.concat([side(high, "high"), side(low, "low")], axis=1)
    table.insert(0, "rank", range(1, len(table) + 1))
    return markdown_table(table)


def wordfreq_summary_markdown(high: pd.DataFrame, low: pd.DataFrame, top: int = 30,
                              feature: str = "energy") -> str:
    """The ``top`` most frequent words of each side next to each other in one Markdown table."""
    def side(counts: pd.DataFrame, label: str) -> pd.DataFrame:
        part = counts.head(top).reset_index(drop=True)
        return pd.DataFrame({f"{label} {feature}": part["word"], f"{label} count": part["count"].astype("Int64")})

    table = pd.concat([side(high, "high"), side(low, "low")], axis=1)
    table.insert(0, "rank", range(1, len(table) + 1))
    return markdown_table(table)
