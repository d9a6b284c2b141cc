"""Bengio's feed-forward neural n-gram (``models.ngram``)."""

import torch
import torch.nn.functional as F

from reviewgen.models.ngram import FeedForwardNGramLM
from reviewgen.models.ngram_counts import ngram_windows

A, B = 4, 5  # two "characters"; 0..3 are the special ids


def test_feedforward_shapes_and_training(toy_seqs, train):
    windows = torch.from_numpy(ngram_windows(toy_seqs, order=3))
    contexts, targets = windows[:, :-1], windows[:, -1]
    model = FeedForwardNGramLM(vocab_size=16, order=3, emb_dim=8, hidden=32)
    assert model(contexts).shape == (len(windows), 16)
    first, last = train(model, lambda m: F.cross_entropy(m(contexts), targets))
    assert last < 0.5 * first


def test_feedforward_sampling(toy_seqs, train):
    model = FeedForwardNGramLM(vocab_size=16, order=3, emb_dim=8, hidden=32)
    windows = torch.from_numpy(ngram_windows([[A, B, 6]], order=3))
    train(model, lambda m: F.cross_entropy(m(windows[:, :-1]), windows[:, -1]), steps=60, lr=0.05)
    assert model.sample(4, max_len=10, temperature=0) == [[A, B, 6]] * 4
    samples = model.sample(6, max_len=5, generator=torch.Generator().manual_seed(1))
    assert samples == model.sample(6, max_len=5, generator=torch.Generator().manual_seed(1))
    assert len(samples) == 6 and all(len(s) <= 5 for s in samples)
