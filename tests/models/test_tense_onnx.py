"""The tense CVAE's ONNX export run by onnxruntime (``reviewgen.inference.tense``) decodes what the torch
model decodes: conversions of words of every length, in every pair of tenses, and generations from z."""

import numpy as np
import pytest
import torch

from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import TENSES
from reviewgen.inference.tense import OnnxTense
from reviewgen.models.tense_cvae import TenseCVAE
from reviewgen.models.tense_onnx import export_tense_onnx

WORDS = ["walk", "sent", "abandoning", "a", "functioned", "begins", "zz", "healing", "splitting", "tie"]


@pytest.fixture(scope="module", params=["lstm", "gru"])
def exported(request, tmp_path_factory):
    torch.manual_seed(3)
    codec = CharCodec.from_words(WORDS)
    model = TenseCVAE(len(codec), hidden=24, latent=6, cond_dim=4, emb_dim=8, cell=request.param).eval()
    with torch.no_grad():  # untrained weights decode short, near-constant words: make them spread out
        for parameter in model.parameters():
            parameter.mul_(4)
    chars, lengths = codec.batch(WORDS)
    mu, _ = model.posterior(chars, lengths, torch.zeros(len(WORDS), dtype=torch.long))
    # Narrow posteriors far from the origin, so a draw shows which prior it came from.
    model.fit_aggregate_prior(mu + 5, torch.full_like(mu, -8.0))
    folder = tmp_path_factory.mktemp("onnx") / f"tense_cvae-{request.param}-onnx"
    export_tense_onnx(model, codec.itos, list(TENSES), folder)
    return model, codec, OnnxTense(folder)


def test_the_export_holds_the_graphs_the_alphabet_and_the_prior(exported):
    model, codec, onnx = exported
    assert onnx.codec.itos == codec.itos and onnx.tenses == list(TENSES)
    np.testing.assert_array_equal(onnx.prior_mu, model.prior_mu.numpy())
    assert model.training is False  # exporting left the model as it was


def test_conversions_equal_the_torch_model_s(exported):
    model, codec, onnx = exported
    seen = set()
    for word in WORDS:
        for source in range(len(TENSES)):
            for target in range(len(TENSES)):
                chars, _ = codec.batch([word])
                expected = codec.decode(model.convert(chars, torch.tensor([source]), torch.tensor([target]))[0])
                got = onnx.convert(word, source, target)
                assert got == expected, (word, source, target)
                seen.add(got)
    assert len(seen) > 5  # the comparison covered different outputs, not one constant word


def test_generation_from_the_same_codes_equals_the_torch_model_s(exported):
    model, _, onnx = exported
    z = onnx.sample_prior(30, np.random.default_rng(0))
    for tense in range(len(TENSES)):
        expected = model.generate(torch.from_numpy(z), torch.full((30,), tense))
        assert onnx.greedy(z, np.full(30, tense, dtype=np.int64)) == expected


def test_generation_draws_from_the_chosen_prior(exported):
    _, _, onnx = exported
    standard = onnx.sample_prior(2000, np.random.default_rng(1))
    assert abs(standard.mean()) < 0.05 and abs(standard.std() - 1) < 0.05
    aggregate = onnx.sample_prior(2000, np.random.default_rng(1), standard=False)
    distance = np.sqrt(((aggregate[:, None] - onnx.prior_mu[None]) ** 2).sum(-1))
    assert distance.min(axis=1).max() < 0.2  # every draw sits on one training code
    assert len(np.unique(distance.argmin(axis=1))) == len(WORDS)  # and every code is drawn
    rows = onnx.generate_four_tenses(5, np.random.default_rng(2))
    assert len(rows) == 5 and all(len(forms) == len(TENSES) for forms in rows)
