import math

import pandas as pd
import pytest
import torch

from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.stopwords import PINNED_ENGLISH
from reviewgen.evaluation.wordfreq import (
    compare_counts,
    content_words,
    count_words,
    recovery_scores,
    sample_words,
)
from reviewgen.models.wordlm import ConditionedWordLM


def test_content_words_drops_stopwords_punctuation_numbers_specials_and_fragments():
    tokens = [["The", "Guitars", "are", "LOUD", ",", "8.5", "<unk>", "1990s", "'s"],
              ["it", "ca", "n't", "stop", "--", "rock-and-roll", "120", "bpm"]]
    assert content_words(tokens, PINNED_ENGLISH) == ["guitars", "loud", "stop", "rock-and-roll", "bpm"]


def test_count_words_sorts_by_count_then_word():
    frame = count_words(["b", "a", "c", "b", "a", "b"])
    assert frame["word"].tolist() == ["b", "a", "c"]
    assert frame["count"].tolist() == [3, 2, 1]
    assert frame["frequency"].tolist() == pytest.approx([0.5, 1 / 3, 1 / 6])


def test_count_words_of_nothing_is_an_empty_table():
    frame = count_words([])
    assert frame.empty and list(frame.columns) == ["word", "count", "frequency"]


def test_compare_counts_by_hand():
    high = count_words(["a"] * 3 + ["b"])
    low = count_words(["a", "c", "c"])
    frame = compare_counts(high, low, prior=0.5)
    # V = 3 words, alpha_0 = 1.5, n_high = 4 + 1.5, n_low = 3 + 1.5.
    assert frame["word"].tolist() == ["a", "b", "c"]
    assert frame["count_high"].tolist() == [3, 1, 0]
    assert frame["count_low"].tolist() == [1, 0, 2]
    expected = [math.log(3.5 / 2) - math.log(1.5 / 3),
                math.log(1.5 / 4) - math.log(0.5 / 4),
                math.log(0.5 / 5) - math.log(2.5 / 2)]
    assert frame["log_odds"].tolist() == pytest.approx(expected)
    assert frame.loc[1, "z"] == pytest.approx(expected[1] / math.sqrt(1 / 1.5 + 1 / 0.5))


def test_one_sided_words_get_finite_log_odds_with_the_right_sign_and_more_smoothing_shrinks_them():
    high, low = count_words(["x", "x", "shared"]), count_words(["y", "shared"])
    light, heavy = (compare_counts(high, low, prior).set_index("word")["log_odds"] for prior in (0.1, 5.0))
    assert math.isfinite(light["x"]) and light["x"] > 0
    assert math.isfinite(light["y"]) and light["y"] < 0
    assert abs(heavy["x"]) < abs(light["x"])
    swapped = compare_counts(low, high, 0.1).set_index("word")["log_odds"]
    assert swapped["x"] == pytest.approx(-light["x"])
    with pytest.raises(ValueError):
        compare_counts(high, low, prior=0)


def _truth(affinities):
    groups = {1: "energy_high", -1: "energy_low"}
    words = {w: {"group": groups[int(math.copysign(1, a))], "energy": a, "valence": 0.0}
             for w, a in affinities.items()}
    words["calm_v"] = {"group": "valence_low", "energy": 0.0, "valence": -1.0}
    words["song"] = {"group": "neutral", "energy": 0.0, "valence": 0.0}
    return {"words": words}


def _comparison(log_odds):
    return pd.DataFrame({"word": list(log_odds), "log_odds": list(log_odds.values())})


GRADED = _truth({"roaring": 1.0, "loud": 0.5, "soft": -0.5, "hushed": -1.0, "unseen": 1.0})
ODDS = {"roaring": 3.0, "loud": 2.0, "song": 1.0, "calm_v": 0.5, "other": 0.0, "soft": -1.0, "hushed": -2.0}


def test_recovery_of_a_perfect_ordering():
    scores = recovery_scores(_comparison(ODDS), GRADED, "energy", top_n=2)
    assert scores["spearman"] == pytest.approx(1.0)
    assert scores["auc"] == 1.0
    assert scores["top_share"] == 1.0
    assert scores["baseline_share"] == pytest.approx(2 / 7)
    assert (scores["n_planted"], scores["n_planted_found"], scores["n_high_found"]) == (5, 4, 2)


def test_recovery_of_a_reversed_ordering():
    scores = recovery_scores(_comparison({w: -v for w, v in ODDS.items()}), GRADED, "energy", top_n=2)
    assert scores["spearman"] == pytest.approx(-1.0)
    assert scores["auc"] == 0.0
    assert scores["top_share"] == 0.0


def test_recovery_with_two_valued_affinities_caps_spearman_but_not_auc():
    truth = _truth({"roaring": 1.0, "loud": 1.0, "soft": -1.0, "hushed": -1.0})
    scores = recovery_scores(_comparison(ODDS), truth, "energy", top_n=2)
    assert scores["auc"] == 1.0
    assert 0.8 < scores["spearman"] < 1.0


def test_recovery_can_rank_by_another_score_column():
    comparison = _comparison(ODDS).assign(z=lambda f: -f["log_odds"])
    scores = recovery_scores(comparison, GRADED, "energy", top_n=2, by="z")
    assert (scores["ranked_by"], scores["spearman"], scores["top_share"]) == ("z", pytest.approx(-1.0), 0.0)


def test_recovery_without_planted_words_is_undefined_not_an_error():
    scores = recovery_scores(_comparison({"song": 1.0}), GRADED, "energy")
    assert scores["spearman"] is None and scores["auc"] is None
    assert scores["top_share"] == 0.0


VOCAB = Vocab(["<pad>", "<bos>", "<eos>", "<unk>", "loud", "song", "."])


class _FakeModel:
    """Returns the same batch every call and records what it was asked."""

    def __init__(self, batch):
        self.batch, self.calls = batch, []

    def sample(self, features, max_len, temperature, generator):
        self.calls.append((tuple(features.shape), features[0].tolist(), max_len, temperature))
        return [list(ids) for ids in self.batch][: len(features)]


def test_sample_words_stops_once_enough_tokens_are_collected():
    model = _FakeModel([[4, 5, 6], [3, 4]])
    [sentences] = sample_words(model, VOCAB, [[0.9]], n_words=6, batch_size=2, max_len=3, temperature=0.5,
                               generator=None)
    assert sentences == [["loud", "song", "."], ["<unk>", "loud"], ["loud", "song", "."]]
    assert model.calls == [((2, 1), [pytest.approx(0.9)], 3, 0.5)] * 2


def test_sample_words_sizes_batches_to_the_words_still_missing():
    model = _FakeModel([[4, 5]] * 100)
    [sentences] = sample_words(model, VOCAB, [[0.5]], n_words=50, batch_size=100, max_len=10, temperature=1.0,
                               generator=None)
    assert sum(map(len, sentences)) == 50
    # 50 / max_len = 5 samples first (no overshoot possible); then 1.2 x the 40 words still missing, 2 per sample.
    assert [shape for shape, *_ in model.calls] == [(5, 1), (25, 1)]


def test_sample_words_draws_every_row_in_the_same_batches():
    model = _FakeModel([[4, 5, 6]] * 8)
    high, low = sample_words(model, VOCAB, [[0.9], [0.1]], n_words=6, batch_size=4, max_len=3, temperature=1.0,
                             generator=None)
    assert high == low == [["loud", "song", "."]] * 2
    assert [shape for shape, *_ in model.calls] == [(4, 1)]
    with pytest.raises(ValueError, match=r"features must be \[rows, n_features\]"):
        sample_words(model, VOCAB, [0.9], 6, 4, 3, 1.0, None)


def test_sample_words_raises_when_the_model_only_ends_sentences():
    with pytest.raises(RuntimeError, match="no tokens"):
        sample_words(_FakeModel([[], []]), VOCAB, [[0.1]], 5, 2, 7, 1.0, None)


def test_sample_words_with_a_real_model_is_reproducible():
    torch.manual_seed(0)
    model = ConditionedWordLM(len(VOCAB), n_features=2, emb_dim=4, hidden=4)

    def draw():
        return sample_words(model, VOCAB, torch.tensor([[0.2, 0.8], [0.7, 0.1]]), 20, 4, 6, 1.0,
                            torch.Generator().manual_seed(3))

    first = draw()
    for sentences in first:
        assert sum(map(len, sentences)) >= 20 and all(len(s) <= 6 for s in sentences)
    assert draw() == first
