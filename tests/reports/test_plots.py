import pandas as pd
import pytest
from PIL import Image

from reviewgen.evaluation.wordfreq import count_words
from reviewgen.reports.plots import plot_history, plot_tradeoff, word_cloud_png

HISTORY = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [2.0, 1.5, 1.2], "valid_bits_per_char": [3.0, 2.6, 2.5]})


def _png_size(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_plot_history_writes_one_panel_per_metric(tmp_path):
    plot_history(HISTORY, ["train_loss"], tmp_path / "one.png", "LSTM")
    plot_history(HISTORY, ["train_loss", "valid_bits_per_char"], tmp_path / "two.png", "LSTM")
    (_, one_high), (_, two_high) = _png_size(tmp_path / "one.png"), _png_size(tmp_path / "two.png")
    assert two_high > one_high * 1.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "two.png"]


def test_plot_history_is_deterministic(tmp_path):
    for name in ("a.png", "b.png"):
        plot_history(HISTORY, ["train_loss"], tmp_path / name, "same")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_plot_history_rejects_unknown_columns(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        plot_history(HISTORY, ["nope"], tmp_path / "x.png", "x")
    assert not (tmp_path / "x.png").exists()


def test_plot_tradeoff_writes_a_labelled_scatter(tmp_path):
    points = pd.DataFrame({"kl_weight": [0.0, 0.5, 1.0], "bleu": [0.9, 0.7, 0.4], "gaussian": [0.0, 0.1, float("nan")]})
    plot_tradeoff(points, "gaussian", "bleu", "kl_weight", tmp_path / "tradeoff.png", "KL weight trade-off")
    _png_size(tmp_path / "tradeoff.png")
    with pytest.raises(ValueError, match="no column"):
        plot_tradeoff(points, "gaussian", "missing", "kl_weight", tmp_path / "bad.png", "x")


def test_word_cloud_is_a_valid_deterministic_png(tmp_path):
    counts = count_words(["loud"] * 5 + ["fast"] * 3 + ["bright"])
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    word_cloud_png(counts, first, "high energy")
    word_cloud_png(counts, second, "high energy")
    with Image.open(first) as image:
        image.verify()
        assert image.format == "PNG"
    assert first.read_bytes() == second.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_word_cloud_of_no_words_still_writes_a_png(tmp_path):
    word_cloud_png(count_words([]), tmp_path / "empty.png", "nothing")
    with Image.open(tmp_path / "empty.png") as image:
        assert image.format == "PNG"
