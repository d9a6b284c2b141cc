import pandas as pd
import pytest

from reviewgen.config import ConfigError
from reviewgen.evaluation.tense_metrics import bleu4
from reviewgen.reports.tense import write_sweep_tradeoff, write_tense_report
from tests.reports.tiny_models import TENSE_ROWS, TEST_PAIRS

CFG = {"main_variant": "default", "n_generated": 100, "seed": 13}


def _write(files, out, cfg=CFG, histories=None):
    return write_tense_report(files["models"], histories or files["histories"], files["metrics"],
                              files["tense_dir"], cfg, out)


@pytest.fixture(scope="module")
def report(tense_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("tense_report")
    return _write(tense_files, out), out


def _average_rows(markdown: str) -> list[float]:
    return [float(line.rstrip(" |").rsplit("|", 1)[1]) for line in markdown.splitlines()
            if line.startswith("| **average**")]


def test_conversion_table_scores_every_pair_and_averages_them(report):
    summary, out = report
    table = pd.read_csv(out / "conversion.csv", keep_default_na=False)
    assert table["set"].tolist() == ["reference"] * 10 + ["heldout"] * len(TEST_PAIRS)
    assert table["input"].tolist()[-2:] == [p.source for p in TEST_PAIRS]
    for row in table.itertuples():
        assert row.bleu4 == pytest.approx(bleu4(row.target, row.prediction))
    means = table.groupby("set", sort=False)["bleu4"].mean()
    assert _average_rows((out / "conversion.md").read_text()) == pytest.approx(means.round(3).tolist())
    assert summary["bleu_reference"] == pytest.approx(means["reference"])
    assert summary["bleu_heldout"] == pytest.approx(means["heldout"])
    # The trained tiny model has learnt the reference verbs, it has not learnt English.
    assert summary["bleu_reference"] > 0.5 > summary["bleu_heldout"]


def test_generation_lists_100_four_tense_tuples_and_both_scores(report):
    summary, out = report
    lines = (out / "generation.txt").read_text().splitlines()
    samples = [line for line in lines if line and not line.startswith("#")]
    assert len(samples) == 100 and all(len(line.split()) in (4, 5) for line in samples)
    known = {" ".join(row) for row in TENSE_ROWS}
    marked = [line.removesuffix(" *") for line in samples if line.endswith(" *")]
    assert all(line in known for line in marked)
    assert summary["gaussian_score"] == pytest.approx(len(marked) / 100)
    assert f"# Gaussian score, z ~ N(0, I): {summary['gaussian_score']:.4f}" in lines
    assert summary["gaussian_score_aggregate_prior"] is not None
    assert f"# Gaussian score under the aggregate prior: {summary['gaussian_score_aggregate_prior']:.4f}" in lines
    assert any("NOT N(0, I)" in line for line in lines)


def test_an_unfitted_aggregate_prior_is_said_so(tense_files, tmp_path):
    summary = _write(tense_files, tmp_path, {**CFG, "main_variant": "gru", "n_generated": 5})
    assert summary["gaussian_score_aggregate_prior"] is None
    assert "aggregate posterior: not fitted" in (tmp_path / "generation.txt").read_text()


def test_comparison_and_figures_cover_every_variant(report):
    _, out = report
    rows = [line for line in (out / "comparison.md").read_text().splitlines() if line.startswith("| ")][2:]
    assert [row.split("|")[1].strip() for row in rows] == ["default", "gru"]
    # default: reference 0.5, held-out 0.3, Gaussian 0.0, aggregate 0.2, strong verbs 0.4 / 0.25 (tiny_models).
    assert "| 0.500 | 0.300 | 0.000 | 0.000 | 1 | 0.200 | 0.400 | 0.250 |" in rows[0]
    for name in ("curves.png", "tradeoff.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_inputs_are_clear_errors(tense_files, tmp_path):
    with pytest.raises(ConfigError, match="main_variant"):
        _write(tense_files, tmp_path, {**CFG, "main_variant": "cyclical"})
    broken = tmp_path / "history.csv"
    pd.read_csv(tense_files["histories"]["gru"]).drop(columns="kl_weight").to_csv(broken, index=False)
    with pytest.raises(ValueError, match=r"'gru' lacks column\(s\) \['kl_weight'\]"):
        _write(tense_files, tmp_path, {**CFG, "n_generated": 2}, {**tense_files["histories"], "gru": broken})


def test_the_tradeoff_plot_is_drawn_from_a_kl_weight_sweep_summary(tmp_path):
    # The columns sweep.py's summary writes: the point, its overrides, then the point's final metrics.
    summary = tmp_path / "summary.csv"
    pd.DataFrame({"point": ["kl.max_weight=1.0", "kl.max_weight=0.1"], "kl.max_weight": [1.0, 0.1],
                  "bleu_heldout": [0.9, 0.95], "gaussian_score": [0.4, 0.0]}).to_csv(summary, index=False)
    points = write_sweep_tradeoff(summary, tmp_path / "tradeoff.png")
    assert points["kl.max_weight"].tolist() == [0.1, 1.0]
    assert (tmp_path / "tradeoff.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pd.read_csv(summary).drop(columns="gaussian_score").to_csv(summary, index=False)
    with pytest.raises(ValueError, match=r"no column\(s\) \['gaussian_score'\]"):
        write_sweep_tradeoff(summary, tmp_path / "bad.png")
