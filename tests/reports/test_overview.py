"""The reports across models: the long tables the multi-model DVC charts draw."""

from __future__ import annotations

import pandas as pd
import pytest

from reviewgen.reports.overview import write_chart_tables


def test_chart_tables_hold_every_models_history_one_row_per_epoch(tmp_path):
    for name, losses in (("charlm-lstm", [2.0, 1.5]), ("charlm-lstm_wide", [1.9, 1.2, 1.1])):
        pd.DataFrame({"epoch": range(1, len(losses) + 1), "valid_loss": losses, "seconds": 1.0}).to_csv(
            tmp_path / f"{name}.csv", index=False)
    paths = [tmp_path / "charlm-lstm.csv", tmp_path / "charlm-lstm_wide.csv"]
    (written,) = write_chart_tables({"charlm_valid_loss": (("valid_loss",), paths)}, tmp_path / "plots")
    table = pd.read_csv(written)
    assert written.name == "charlm_valid_loss.csv" and list(table.columns) == ["model", "epoch", "valid_loss"]
    assert table.groupby("model")["epoch"].max().to_dict() == {"charlm-lstm": 2, "charlm-lstm_wide": 3}
    assert table.loc[table["model"] == "charlm-lstm_wide", "valid_loss"].tolist() == [1.9, 1.2, 1.1]


def test_a_history_without_the_charted_column_is_an_error(tmp_path):
    pd.DataFrame({"epoch": [1], "valid_loss": [1.0]}).to_csv(tmp_path / "tense_cvae-x.csv", index=False)
    with pytest.raises(ValueError, match=r"tense_cvae-x.csv: no column \['bleu_valid'\] for the chart tense_bleu"):
        write_chart_tables({"tense_bleu": (("bleu_valid",), [tmp_path / "tense_cvae-x.csv"])}, tmp_path / "plots")
