"""Which words the energy-conditioned LM uses at high versus low energy (and valence, when conditioned).

For each reported feature: sample ``n_words`` words with the feature high and ``n_words`` with it low
(every other feature at its train median), drop stopwords, punctuation and numbers, count, compare with
smoothed log-odds, draw a word cloud per side, and score the recovery of the planted words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from reviewgen.config import get
from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.stopwords import english_stopwords
from reviewgen.evaluation.wordfreq import (
    compare_counts,
    content_words,
    count_words,
    recovery_scores,
    sample_words,
)
from reviewgen.io import get_logger, read_json, write_csv, write_json, write_text
from reviewgen.models.registry import load_model
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.reports.plots import word_cloud_png
from reviewgen.reports.tables import separating_words_markdown, wordfreq_summary_markdown

log = get_logger("reports.wordfreq")


def report_feature(model, vocab: Vocab, scaler: FeatureScaler, medians: list[float], feature: str,
                   cfg: dict[str, Any], truth: dict, out_dir: Path,
                   lm_metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write one feature's tables, clouds and summary under ``out_dir``; return its recovery scores."""
    where = "wordfreq"
    n_words = get(cfg, "n_words", int, where, minimum=1)
    generator = torch.Generator(next(model.parameters()).device).manual_seed(get(cfg, "seed", int, where))
    stopwords = english_stopwords()
    values = {side: get(cfg, side, float, where) for side in ("high", "low")}
    samples = sample_words(
        model, vocab, [scaler.row(medians, **{feature: value}) for value in values.values()], n_words,
        batch_size=get(cfg, "batch_size", int, where, minimum=1),
        max_len=get(cfg, "max_len", int, where, minimum=1),
        temperature=get(cfg, "temperature", float, where, minimum=0.0), generator=generator,
    )
    counts = {}
    for (side, value), sentences in zip(values.items(), samples, strict=True):
        counts[side] = count_words(content_words(sentences, stopwords))
        write_csv(out_dir / f"{side}.csv", counts[side])
        word_cloud_png(counts[side], out_dir / f"{side}.png", f"{feature} = {value}")
    comparison = compare_counts(counts["high"], counts["low"])
    write_csv(out_dir / "comparison.csv", comparison)
    top = get(cfg, "top", int, where, minimum=1)
    kept = {side: int(frame["count"].sum()) for side, frame in counts.items()}
    summary = [f"# Words at high vs low {feature}", "",
               f"{n_words} sampled tokens per side; after removing stopwords, punctuation and numbers "
               f"{kept['high']} (high) and {kept['low']} (low) content words remain.", "",
               f"## Words that most separate high from low {feature} (log-odds z-score)", "",
               separating_words_markdown(comparison, top=top, feature=feature), "",
               "## Most frequent words per side", "",
               wordfreq_summary_markdown(counts["high"], counts["low"], top=top, feature=feature)]
    scores: dict[str, Any] = {"content_words_high": kept["high"], "content_words_low": kept["low"]}
    if truth.get("words"):
        recovery_top = get(cfg, "recovery_top", int, where, minimum=1)
        scores |= recovery_scores(comparison, truth, feature=feature, top_n=recovery_top, by="z")
        summary += ["", "## Recovery of the planted words", "",
                    f"- Spearman (affinity vs score): {scores['spearman']}",
                    f"- planted high-{feature} words among the top {recovery_top}: {scores['top_share']} "
                    f"(chance: {scores['baseline_share']:.3f})"]
    summary += conditioning_lines(lm_metrics or {})
    write_text(out_dir / "summary.md", "\n".join(summary) + "\n")
    return scores


def conditioning_lines(lm_metrics: dict[str, Any]) -> list[str]:
    """What the features are worth to the LM on test, from its training metrics (none if not measured)."""
    if "test_perplexity_marginal" not in lm_metrics:
        return []
    lines = ["", "## What the features tell the word LM (test split)", "",
             f"- perplexity with the true features: {lm_metrics['test_perplexity']:.4f}; marginal over "
             f"{lm_metrics['marginal_draws']} training draws: {lm_metrics['test_perplexity_marginal']:.4f}; "
             f"constant: {lm_metrics['test_perplexity_constant']:.4f}; "
             f"shuffled: {lm_metrics['test_perplexity_shuffled']:.4f}",
             f"- gain over the marginal: {lm_metrics['conditioning_gain_nats']:.5f} nats per token"]
    if lm_metrics.get("conditioning_oracle_nats") is not None:
        captured = lm_metrics.get("conditioning_captured")
        lines.append(f"- oracle gain (the generator's planted probabilities): "
                     f"{lm_metrics['conditioning_oracle_nats']:.5f} nats per token; captured: "
                     + ("n/a" if captured is None else f"{captured:.3f}"))
    return lines


def write_wordfreq_report(model_path: Path, vocab_path: Path, truth_path: Path, cfg: dict[str, Any],
                          out_dir: Path, metrics_path: Path) -> dict[str, Any]:
    model, _, extra = load_model(model_path, expected=ConditionedWordLM)
    vocab = Vocab.load(vocab_path)
    scaler = FeatureScaler(**extra["features"])
    truth = read_json(truth_path)
    wanted = [str(f) for f in get(cfg, "features", list, "wordfreq")]
    reported = [f for f in wanted if f in scaler.names]
    if not reported:
        log.warning("the word LM is conditioned on %s, none of %s: nothing to report", scaler.names, wanted)
    metrics = {}
    for index, feature in enumerate(reported):
        # The first feature's files sit at the top of out_dir, the others in a folder named after them.
        target = out_dir if index == 0 else out_dir / feature
        metrics[feature] = report_feature(model, vocab, scaler, extra["feature_medians"], feature, cfg, truth,
                                          target, extra.get("metrics", {}))
        log.info("%s: %s", feature, metrics[feature])
    write_json(metrics_path, metrics)
    return metrics
