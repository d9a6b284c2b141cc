"""PNG figures for the reports: training curves per epoch, a labelled trade-off scatter, word clouds.

Figures are bare ``matplotlib.figure.Figure`` objects (Agg, no pyplot), so plotting leaves no global
state behind and needs no display. PNGs are saved without the "Software" metadata, so the same data
give the same bytes on the same matplotlib version.
"""

from __future__ import annotations

import os

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reviewgen.io import atomic_path


def _save(figure: Figure, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        # The temporary name ends in .tmp, so the format cannot come from the extension.
        figure.savefig(tmp, format="png", bbox_inches="tight", metadata={"Software": None})


def _label(column: str) -> str:
    """``valid_bits_per_char`` -> ``valid bits per char``: axis labels people can read."""
    return column.replace("_", " ")


def plot_history(history: pd.DataFrame, columns: list[str], path: str | os.PathLike, title: str) -> None:
    """One panel per metric in ``columns``, stacked with a shared epoch axis, as a PNG.

    The x axis is the ``epoch`` column when there is one, else 1, 2, ... in row order. Separate panels,
    because the metrics of one run (loss, bits per char, KL, seconds) live on unrelated scales.
    """
    missing = [c for c in columns if c not in history.columns]
    if not columns or missing:
        raise ValueError(f"columns must name history columns; missing {missing}, have {list(history.columns)}")
    epochs = history["epoch"] if "epoch" in history.columns else pd.Series(range(1, len(history) + 1))
    figure = Figure(figsize=(7, 2.4 * len(columns) + 0.6), dpi=100, layout="constrained")
    panels = figure.subplots(len(columns), 1, sharex=True, squeeze=False)[:, 0]
    for axes, column in zip(panels, columns, strict=True):
        axes.plot(epochs, history[column], marker="o", markersize=3)
        axes.set_ylabel(_label(column))
        axes.grid(True, alpha=0.3)
    panels[-1].set_xlabel("epoch")
    # Whole epochs only: a tick at 2.5 would suggest a measurement that was never taken.
    panels[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(title)
    _save(figure, path)


def plot_tradeoff(points: pd.DataFrame, x: str, y: str, label: str, path: str | os.PathLike, title: str) -> None:
    """A scatter of ``points[y]`` against ``points[x]``, each point annotated with ``points[label]``
    (e.g. Gaussian score against held-out BLEU, one point per KL weight), as a PNG."""
    missing = [c for c in (x, y, label) if c not in points.columns]
    if missing:
        raise ValueError(f"points has no column(s) {missing}; have {list(points.columns)}")
    figure = Figure(figsize=(6.5, 5), dpi=100, layout="constrained")
    axes = figure.subplots()
    # The legend names what the numbers next to the points are.
    axes.scatter(points[x], points[y], zorder=2, label=f"points labelled by {_label(label)}")
    axes.legend(loc="best", fontsize=9)
    for px, py, text in zip(points[x], points[y], points[label], strict=True):
        if not (pd.isna(px) or pd.isna(py)):
            axes.annotate(str(text), (px, py), xytext=(4, 4), textcoords="offset points", fontsize=9)
    axes.set_xlabel(_label(x))
    axes.set_ylabel(_label(y))
    axes.grid(True, alpha=0.3)
    axes.set_title(title)
    _save(figure, path)


def word_cloud_png(counts: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """A word cloud of ``counts`` (word sizes by count) with ``title`` above, as a PNG written atomically.

    ``random_state`` is fixed so the same counts give the same picture. With no words at all the image
    says so instead of failing, since a badly trained model may well produce none.
    """
    # Only the word-frequency report draws clouds: the other reports need not load the library.
    from wordcloud import WordCloud

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    frequencies = {str(w): float(c) for w, c in zip(counts["word"], counts["count"], strict=True) if c > 0}
    if frequencies:
        cloud = WordCloud(width=800, height=400, background_color="white", random_state=0)
        axes.imshow(cloud.generate_from_frequencies(frequencies).to_array(), interpolation="bilinear")
    else:
        axes.text(0.5, 0.5, "(no words)", ha="center", va="center", fontsize=20)
    axes.set_axis_off()
    axes.set_title(title)
    _save(figure, path)
