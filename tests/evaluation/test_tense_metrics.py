import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from reviewgen.evaluation.tense_metrics import average_bleu, bleu4, distinct_hits, gaussian_score


def test_perfect_conversion_scores_one():
    assert bleu4("abandoned", "abandoned") == pytest.approx(1.0)
    assert bleu4("cut", "cut") == pytest.approx(1.0)  # only possible with the 3-gram weights


def test_three_letter_reference_uses_three_gram_weights():
    smooth = SmoothingFunction().method1
    by_3grams = sentence_bleu([list("ran")], list("run"), weights=(1 / 3,) * 3, smoothing_function=smooth)
    by_4grams = sentence_bleu([list("ran")], list("run"), weights=(0.25,) * 4, smoothing_function=smooth)
    assert bleu4("ran", "run") == pytest.approx(by_3grams)
    assert by_3grams != pytest.approx(by_4grams)


def test_a_near_miss_by_hand():
    # sends vs sents: 1-grams 4/5, 2-grams 2/4, 3-grams 1/3, 4-grams 0/2 -> method1's 0.1/2; no brevity penalty.
    assert bleu4("sends", "sents") == pytest.approx((0.8 * 0.5 * (1 / 3) * 0.05) ** 0.25)
    assert 0 < bleu4("abetting", "abeting") < 1
    assert bleu4("heals", "zzzzz") == 0.0


def test_average_bleu():
    assert average_bleu([("heals", "heals"), ("flare", "flare")]) == pytest.approx(1.0)
    assert average_bleu([("heals", "heals"), ("flare", "zzzzz")]) == pytest.approx(0.5, abs=0.01)
    assert average_bleu([]) == 0.0


def test_gaussian_score_counts_exact_rows_only():
    train = [("make", "makes", "making", "made"), ("say", "says", "saying", "said")]
    generated = [("make", "makes", "making", "made"),      # a training row
                 ("say", "says", "saying", "sayed"),       # one form wrong
                 ("said", "say", "says", "saying"),        # right words, wrong tenses
                 ("say", "says", "saying", "said")]
    assert gaussian_score(generated, train) == pytest.approx(0.5)
    assert gaussian_score([], train) == 0.0


def test_distinct_hits_counts_each_training_verb_once():
    train = [("make", "makes", "making", "made"), ("say", "says", "saying", "said"), ("go", "goes", "going", "went")]
    collapsed = [("make", "makes", "making", "made")] * 9 + [("say", "says", "saying", "sayed")]
    assert gaussian_score(collapsed, train) == pytest.approx(0.9) and distinct_hits(collapsed, train) == 1
    spread = [*train, ("go", "goes", "going", "goed")]
    assert gaussian_score(spread, train) == pytest.approx(0.75) and distinct_hits(spread, train) == 3
    assert distinct_hits([], train) == 0
