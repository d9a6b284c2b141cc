"""The count n-gram (``models.ngram_counts``): windows, MLE, back-off, add-k, sampling, saved counts."""

import math

import numpy as np
import pytest
import torch

from reviewgen.models.ngram_counts import CharNGramCounts, ngram_windows

A, B = 4, 5  # two "characters"; 0..3 are the special ids


@pytest.fixture
def bigram() -> CharNGramCounts:
    # Padded: <bos> a a b <eos> and <bos> a b <eos>. Bigram counts: (<bos>,a) 2, (a,a) 1, (a,b) 2, (b,<eos>) 2.
    return CharNGramCounts(order=2, vocab_size=7).fit([[A, A, B], [A, B]])


def test_windows_pad_with_bos_and_end_with_eos():
    assert ngram_windows([[A, B]], order=3).tolist() == [[1, 1, A], [1, A, B], [A, B, 2]]
    assert ngram_windows([[A], [B]], order=1).tolist() == [[A], [2], [B], [2]]


def test_log_prob_next_is_the_mle(bigram):
    expected = np.full(7, -np.inf)
    expected[[A, B]] = np.log([1 / 3, 2 / 3])
    np.testing.assert_allclose(bigram.log_prob_next([B, A]), expected)  # only the last id matters
    assert bigram.log_prob_next([])[A] == 0.0  # every sequence starts with a


def test_unseen_context_backs_off_to_unigrams(bigram):
    # No sequence has <unk> (3) as a context; the unigram targets are a a b <eos> a b <eos>.
    probs = np.exp(bigram.log_prob_next([3]))
    np.testing.assert_allclose(probs[[A, B, 2]], [3 / 7, 2 / 7, 2 / 7])
    assert probs.sum() == pytest.approx(1.0)


def test_cross_entropy_by_hand(bigram):
    # "ab": P(a|<bos>) = 1, P(b|a) = 2/3, P(<eos>|b) = 1 over 3 predictions.
    assert bigram.cross_entropy_bits([[A, B]], k=0) == pytest.approx(-math.log2(2 / 3) / 3)
    # "b" with add-1 over V = 7: (0 + 1) / (2 + 7) for b after <bos>, (2 + 1) / (2 + 7) for <eos> after b.
    expected = -(math.log2(1 / 9) + math.log2(3 / 9)) / 2
    assert bigram.cross_entropy_bits([[B]], k=1) == pytest.approx(expected)


def test_add_k_makes_unseen_characters_finite(bigram):
    unseen = [[A, 6, B]]
    assert bigram.cross_entropy_bits(unseen, k=0) == math.inf
    assert math.isfinite(bigram.cross_entropy_bits(unseen, k=0.5))


def test_huge_vocab_counts_like_a_small_one(toy_seqs):
    # 2**20 ** 4 does not pack into an int64 key, so this takes the lexsort path.
    small = CharNGramCounts(4, 16).fit(toy_seqs)
    huge = CharNGramCounts(4, 2**20).fit(toy_seqs)
    held_out = [[4, 5, 6, 4], [7, 8, 7]]
    assert huge.cross_entropy_bits(held_out, k=0) == pytest.approx(small.cross_entropy_bits(held_out, k=0))


def test_sampling_follows_the_counts():
    model = CharNGramCounts(order=3, vocab_size=8).fit([[A, B, 6, 7]])
    rng = np.random.default_rng(0)
    assert model.sample(3, max_len=10, temperature=1.0, rng=rng) == [[A, B, 6, 7]] * 3
    assert model.sample(2, max_len=2, temperature=1.0, rng=rng) == [[A, B]] * 2
    assert model.sample(1, max_len=10, temperature=0, rng=rng) == [[A, B, 6, 7]]


def test_samples_are_reproducible_and_use_only_seen_bigrams(toy_seqs):
    model = CharNGramCounts(order=2, vocab_size=16).fit(toy_seqs)
    first = model.sample(5, 100, 1.0, np.random.default_rng(7))
    assert first == model.sample(5, 100, 1.0, np.random.default_rng(7))
    seen = {tuple(row) for row in ngram_windows(toy_seqs, 2).tolist()}
    assert {tuple(row) for row in ngram_windows(first, 2).tolist()} <= seen


def test_state_dict_round_trip(tmp_path, toy_seqs):
    model = CharNGramCounts(order=3, vocab_size=16).fit(toy_seqs)
    torch.save(model.state_dict(), tmp_path / "ngram.pt")
    loaded = CharNGramCounts(order=3, vocab_size=16)
    loaded.load_state_dict(torch.load(tmp_path / "ngram.pt", weights_only=True))
    np.testing.assert_array_equal(loaded.log_prob_next([7, 8]), model.log_prob_next([7, 8]))
    assert loaded.cross_entropy_bits(toy_seqs, 0.1) == model.cross_entropy_bits(toy_seqs, 0.1)


def test_counts_of_another_order_or_vocabulary_are_refused(toy_seqs):
    state = CharNGramCounts(order=3, vocab_size=16).fit(toy_seqs).state_dict()
    with pytest.raises(ValueError, match="order-2"):
        CharNGramCounts(order=2, vocab_size=16).load_state_dict(state)
    with pytest.raises(ValueError, match="vocab_size=8"):
        CharNGramCounts(order=3, vocab_size=8).load_state_dict(state)


def test_unfitted_and_out_of_range_fail_clearly():
    with pytest.raises(RuntimeError, match="fit"):
        CharNGramCounts(2, 8).log_prob_next([A])
    with pytest.raises(ValueError, match="vocab_size"):
        CharNGramCounts(2, 5).fit([[A, B]])


def test_the_arrays_load_without_torch_to_the_same_model(tmp_path, toy_seqs):
    """``reviewgen sample`` reads the counts from the .npz file the stage writes, without torch."""
    model = CharNGramCounts(order=3, vocab_size=16).fit(toy_seqs)
    model.save_arrays(tmp_path / "counts.npz", "data/processed/vocab_chars.json")
    loaded, vocab = CharNGramCounts.load_arrays(tmp_path / "counts.npz")
    assert vocab == "data/processed/vocab_chars.json" and (loaded.order, loaded.vocab_size) == (3, 16)
    np.testing.assert_array_equal(loaded.log_prob_next([7, 8]), model.log_prob_next([7, 8]))
    assert loaded.sample(5, 10, 1.0, np.random.default_rng(2)) == model.sample(5, 10, 1.0, np.random.default_rng(2))
    assert [p.name for p in tmp_path.iterdir()] == ["counts.npz"]  # written atomically: no temporary left

