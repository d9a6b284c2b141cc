"""The word_language_model comparison row, against a stand-in with the example's interface (no download)."""

from __future__ import annotations

import textwrap

import pytest
import torch

from reviewgen.bench.__main__ import bench_params
from reviewgen.bench.peer import PEER_BPTT, bench_peer_wlm, write_corpus
from reviewgen.data.sentences import split_reviews
from reviewgen.data.synthetic import FEATURES, generate_corpus
from reviewgen.data.vocab import build_vocabs
from reviewgen.io import write_json

# What the row needs of pytorch/examples' word_language_model: data.Corpus and model.RNNModel, same calls.
PEER_DATA = '''
import torch

class Dictionary:
    def __init__(self):
        self.word2idx = {}

    def __len__(self):
        return len(self.word2idx)

class Corpus:
    def __init__(self, path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(path + "/train.txt")

    def tokenize(self, path):
        ids = []
        for line in open(path, encoding="utf8"):
            for word in line.split() + ["<eos>"]:
                ids.append(self.dictionary.word2idx.setdefault(word, len(self.dictionary.word2idx)))
        return torch.tensor(ids)
'''
PEER_MODEL = '''
import torch.nn as nn
import torch.nn.functional as F

class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.encoder, self.rnn = nn.Embedding(ntoken, ninp), nn.LSTM(ninp, nhid, nlayers)
        self.decoder, self.nhid, self.nlayers = nn.Linear(nhid, ntoken), nhid, nlayers

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input), hidden)
        return F.log_softmax(self.decoder(output).view(-1, self.decoder.out_features), dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid)
'''


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """A tiny default run's outputs: processed sentences, word vocabulary, synthetic truth."""
    root = tmp_path_factory.mktemp("run")
    params = bench_params(tiny=True)
    corpus = generate_corpus(80, seed=2)
    reviews = corpus.reviews.drop(columns="sentences").merge(corpus.tracks[["track_id", *FEATURES]], on="track_id")
    sentences = split_reviews(reviews, params["sentences"])[0]
    words, _, _ = build_vocabs(sentences, params["vocab"])
    (root / "processed").mkdir()
    sentences.to_parquet(root / "processed" / "sentences.parquet")
    words.save(root / "processed" / "vocab_words.json")
    write_json(root / "truth.json", corpus.truth)
    return params, root, sentences, words


def test_the_peer_reads_our_sentences_with_our_vocabulary(default_run, tmp_path):
    _, _, sentences, words = default_run
    write_corpus(sentences, words, max_tokens=5, out=tmp_path)
    lines = (tmp_path / "train.txt").read_text().splitlines()
    assert len(lines) == int((sentences["split"] == "train").sum())
    assert all(len(line.split()) <= 5 for line in lines)
    assert {w for line in lines for w in line.split()} <= set(words.itos)


def test_row_times_both_sides_on_the_same_sentences(default_run, tmp_path):
    params, root, _, _ = default_run
    peer = tmp_path / "word_language_model"
    peer.mkdir()
    (peer / "data.py").write_text(textwrap.dedent(PEER_DATA))
    (peer / "model.py").write_text(textwrap.dedent(PEER_MODEL))
    torch.set_num_threads(1)
    [row] = bench_peer_wlm(params, peer, root / "processed", root / "truth.json", repeats=1, n_batches=2)
    figures = row.figures
    assert figures["peer_tokens"] == 2 * PEER_BPTT * params["wordlm"]["batch_size"]
    assert figures["tokens"] >= figures["peer_tokens"]  # ours trains on at least as many targets
    assert figures["ratio"] == pytest.approx(figures["tokens_per_s"] / figures["peer_tokens_per_s"])


def test_row_is_skipped_without_a_default_run(tmp_path):
    [row] = bench_peer_wlm(bench_params(tiny=True), tmp_path, tmp_path, tmp_path / "truth.json", 1, 2)
    assert not row.figures and "skipped" in row.note
