"""Scores of the tense CVAE: character BLEU-4 of conversions and the Gaussian score of prior samples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

_SMOOTH = SmoothingFunction().method1


def bleu4(reference: str, hypothesis: str) -> float:
    """Sentence BLEU over characters, smoothing method 1.

    Uniform 4-gram weights, except that a 3-character reference has no 4-grams and is scored on up to
    3-grams (otherwise a perfect "cut" -> "cut" would not score 1). A perfect conversion scores 1.0.
    """
    weights = (1 / 3,) * 3 if len(reference) == 3 else (0.25,) * 4
    score = sentence_bleu([list(reference)], list(hypothesis), weights=weights, smoothing_function=_SMOOTH)
    return float(score)


def average_bleu(pairs: Iterable[tuple[str, str]]) -> float:
    """Mean ``bleu4`` over ``(reference, hypothesis)`` pairs; 0.0 for none."""
    scores = [bleu4(reference, hypothesis) for reference, hypothesis in pairs]
    return sum(scores) / len(scores) if scores else 0.0


def gaussian_score(generated: Sequence[Sequence[str]], train_rows: Iterable[Sequence[str]]) -> float:
    """Fraction of generated four-tense tuples that are exactly a training row (all four forms)."""
    if not generated:
        return 0.0
    rows = {tuple(row) for row in train_rows}
    return sum(tuple(words) in rows for words in generated) / len(generated)


def distinct_hits(generated: Sequence[Sequence[str]], train_rows: Iterable[Sequence[str]]) -> int:
    """How many different training verbs the Gaussian score's hits are. The score counts a verb each
    time it is drawn, so a generator that decodes most of N(0, I) to a handful of verbs scores high;
    this count shows it."""
    rows = {tuple(row) for row in train_rows}
    return len({tuple(words) for words in generated} & rows)
