import math

import pandas as pd

from reviewgen.evaluation.wordfreq import compare_counts, count_words
from reviewgen.reports.tables import (
    charlm_comparison,
    markdown_table,
    parse_samples,
    separating_words_markdown,
    wordfreq_summary_markdown,
)

SAMPLES = """# charlm-lstm: samples from <bos> until <eos>

## temperature 0.5
first sample line
second | sample

third sample line

## temperature 1.0
hot one
"""


def test_markdown_table_layout_alignment_and_escaping():
    frame = pd.DataFrame({"name": ["a|b", "line\nbreak", None], "value": [1.23456, math.nan, 2.0]})
    assert markdown_table(frame) == (
        "| name | value |\n"
        "| --- | ---: |\n"
        "| a\\|b | 1.235 |\n"
        "| line break |  |\n"
        "|  | 2 |\n"
    )


def test_markdown_table_of_no_rows_is_just_the_header():
    assert markdown_table(pd.DataFrame({"x": []})).splitlines() == ["| x |", "| ---: |"]


def test_parse_samples_keeps_inner_blank_lines_and_drops_separators():
    parsed = parse_samples(SAMPLES)
    assert list(parsed) == [0.5, 1.0]
    assert parsed[0.5] == ["first sample line", "second | sample", "", "third sample line"]
    assert parsed[1.0] == ["hot one"]


def test_charlm_comparison_one_row_per_model_with_first_samples():
    metrics = [
        {"model": "charlm-lstm", "parameters": 123456, "seconds_per_epoch": 12.3456,
         "train_tokens_per_second": 45678.6, "test_bits_per_char": 2.1},
        {"model": "charlm-gru", "parameters": 99, "seconds_per_epoch": 1.0, "test_bits_per_char": 2.5},
    ]
    table = charlm_comparison(metrics, {"charlm-lstm": parse_samples(SAMPLES)})
    lines = table.splitlines()
    assert lines[0] == ("| model | parameters | seconds per epoch | train tokens per second | held-out bits per char "
                        "| sample at T=0.5 | sample at T=1 |")
    assert lines[2] == "| charlm-lstm | 123,456 | 12.346 | 45,679 | 2.100 | first sample line | hot one |"
    assert lines[3] == "| charlm-gru | 99 | 1.000 |  | 2.500 |  |  |"


def test_charlm_comparison_without_metrics_says_so():
    assert "No character-LM metrics" in charlm_comparison([], {})


def test_summary_markdown_puts_both_sides_next_to_each_other():
    table = wordfreq_summary_markdown(count_words(["loud"] * 2 + ["fast"]), count_words(["soft"]), top=30)
    assert table.splitlines() == [
        "| rank | high energy | high count | low energy | low count |",
        "| ---: | --- | ---: | --- | ---: |",
        "| 1 | loud | 2 | soft | 1 |",
        "| 2 | fast | 1 |  |  |",
    ]


def test_separating_words_lead_with_the_words_one_side_uses_more_not_the_common_ones():
    high = count_words(["the"] * 50 + ["loud"] * 12 + ["fast"] * 6)
    low = count_words(["the"] * 50 + ["soft"] * 12 + ["fast"] * 6)
    table = separating_words_markdown(compare_counts(high, low), top=1)
    rows = [line for line in table.splitlines() if line.startswith("| 1")]
    assert len(rows) == 1 and "loud" in rows[0] and "soft" in rows[0] and "the" not in rows[0]
    assert "12/0" in rows[0] and "0/12" in rows[0]
