import logging

import pytest
import torch

from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.homotopy import (
    as_seen,
    encode_sentences,
    homotopy,
    latent_path,
    prior_samples,
    reconstructions,
    tokenize,
)
from reviewgen.evaluation.interpolation import interpolate
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


def test_a_latent_path_is_the_interpolation_on_the_codes_device():
    z0, z1 = torch.tensor([0.0, 2.0]), torch.tensor([4.0, -2.0])
    points = latent_path(z0, z1, 5, "slerp")
    assert points.dtype == z0.dtype and points.device == z0.device
    assert torch.equal(points, torch.from_numpy(interpolate(z0.numpy(), z1.numpy(), 5, "slerp")))


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
