import logging
import math

import pytest
import torch

from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.homotopy import (
    as_seen,
    encode_sentences,
    homotopy,
    homotopy_rows,
    interpolate,
    prior_samples,
    reconstructions,
    tokenize,
)
from reviewgen.models.sentence_vae import SentenceVAE

WORDS = ["the", "band", "played", "a", "slow", "song", ".", "it", "was", "loud", "n't"]


@pytest.fixture
def vocab() -> Vocab:
    return Vocab.from_counts({word: 1 for word in WORDS})


@pytest.fixture
def model(vocab) -> SentenceVAE:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return SentenceVAE(len(vocab), emb_dim=8, hidden=16, latent=3).eval()


def _by_hand(model, vocab, sentence: str, max_len: int = 40) -> str:
    """Greedy decoding of the posterior mean, with the batch built without the module under test."""
    ids = torch.tensor([vocab.encode(tokenize(sentence), add_eos=True)])
    with torch.no_grad():
        mu = model.encode(ids, torch.tensor([ids.size(1)]))
    return " ".join(vocab.decode(model.decode_greedy(mu, max_len)[0]))


def test_linear_interpolation_includes_the_ends_and_is_evenly_spaced():
    z0, z1 = torch.tensor([0.0, 2.0]), torch.tensor([4.0, -2.0])
    points = interpolate(z0, z1, 5)
    assert points.shape == (5, 2)
    assert torch.equal(points[0], z0) and torch.equal(points[-1], z1)
    assert torch.allclose(points[2], torch.tensor([2.0, 0.0]))
    assert torch.allclose(points[1], torch.tensor([1.0, 1.0]))


def test_slerp_keeps_the_radius_where_the_straight_line_cuts_inside():
    z0, z1 = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([0.0, 3.0, 0.0])
    points = interpolate(z0, z1, 3, "slerp")
    assert torch.equal(points[0], z0) and torch.equal(points[-1], z1)
    assert torch.allclose(points[1], torch.tensor([3 / math.sqrt(2), 3 / math.sqrt(2), 0.0]))
    assert interpolate(z0, z1, 3)[1].norm().item() == pytest.approx(3 / math.sqrt(2))


def test_slerp_between_parallel_codes_is_the_straight_line():
    z0 = torch.tensor([1.0, 1.0])
    assert torch.allclose(interpolate(z0, 2 * z0, 4, "slerp"), interpolate(z0, 2 * z0, 4, "linear"))


@pytest.mark.parametrize(("steps", "method", "message"), [(1, "linear", "at least 2"), (3, "cubic", "method")])
def test_bad_interpolation_arguments(steps, method, message):
    with pytest.raises(ValueError, match=message):
        interpolate(torch.zeros(2), torch.ones(2), steps, method)


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_homotopy_ends_decode_from_the_codes_of_the_two_sentences(model, vocab, method):
    s0, s1 = "The band played a slow song.", "it was loud ."
    decoded = homotopy(model, vocab, s0, s1, steps=6, method=method, max_len=8)
    assert len(decoded) == 6
    assert decoded[0] == _by_hand(model, vocab, s0, 8)
    assert decoded[-1] == _by_hand(model, vocab, s1, 8)


def test_unknown_words_are_read_as_unk_with_a_warning(model, vocab, caplog):
    with caplog.at_level(logging.WARNING, logger="reviewgen"):
        mu, oov = encode_sentences(model, vocab, ["the zebra played", "the band played"])
    assert oov == [1, 0]
    assert "zebra" in caplog.text and "sentence 1" in caplog.text
    same, _ = encode_sentences(model, vocab, ["the aardvark played"])
    assert torch.allclose(mu[0], same[0])  # both unknown words are the same <unk>
    assert as_seen(vocab, "The zebra played") == "the <unk> played"


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_sentence_is_a_clear_error(model, vocab, empty):
    with pytest.raises(ValueError, match=r"sentence 2 is empty"):
        encode_sentences(model, vocab, ["it was loud", empty])


def test_reconstructions_are_batched_greedy_decodings(model, vocab):
    sentences = ["it was loud .", "the band played a slow song ."]
    frame = reconstructions(model, vocab, sentences, max_len=8)
    assert list(frame.columns) == ["input", "output"]
    assert frame["input"].tolist() == sentences
    assert frame["output"].tolist() == [_by_hand(model, vocab, s, 8) for s in sentences]


def test_prior_samples_are_seeded_draws_from_the_standard_normal(model, vocab):
    first = prior_samples(model, vocab, 4, torch.Generator().manual_seed(3), max_len=5)
    again = prior_samples(model, vocab, 4, torch.Generator().manual_seed(3), max_len=5)
    assert first == again and len(first) == 4
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(3))
    assert first == [" ".join(vocab.decode(ids)) for ids in model.decode_greedy(z, 5)]


def test_homotopy_rows_label_the_sentences_ends_and_fractions():
    rows = homotopy_rows("a", "b", ["x0", "x1", "x2", "x3"])
    assert rows == [("s0", "a"), ("z0", "x0"), ("t=0.33", "x1"), ("t=0.67", "x2"), ("z1", "x3"), ("s1", "b")]


def test_endpoint_bleu_of_a_hand_made_pair():
    from reviewgen.evaluation.homotopy import word_bleu

    # Same length (no brevity penalty); n-gram precisions 6/7, 4/6, 2/5, 1/4 by hand.
    expected = (6 / 7 * 4 / 6 * 2 / 5 * 1 / 4) ** 0.25
    assert word_bleu("the cat sat on a mat .", "the cat sat on the mat .") == pytest.approx(expected)
    assert word_bleu("the cat sat on the mat .", "the cat sat on the mat .") == pytest.approx(1.0)
    assert word_bleu("a dog ran", "the cat sat on the mat .") < 0.05


def test_distinct_share_counts_repeated_decodes():
    from reviewgen.evaluation.homotopy import distinct_share

    assert distinct_share(["a", "a", "b", "c"]) == 0.75
    assert distinct_share(["a", "a"]) == 0.5
