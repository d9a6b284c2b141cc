"""The sentence VAE's ONNX export run by onnxruntime (``reviewgen.inference.sentence_vae``) computes what
the torch model computes: posterior means of sentences of every length, greedy decodes of any code, and
so the homotopy the report draws."""

import numpy as np
import pytest
import torch

from reviewgen.data.detokenize import decode_text
from reviewgen.evaluation.homotopy import homotopy
from reviewgen.evaluation.interpolation import encode_words
from reviewgen.inference.sentence_vae import OnnxSentenceVAE
from reviewgen.models.sentence_vae import SentenceVAE
from reviewgen.models.sentence_vae_onnx import export_sentence_vae_onnx
from tests.reports.tiny_models import SENTENCES, word_vocab


@pytest.fixture(scope="module", params=["gru", "lstm"])
def exported(request, tmp_path_factory):
    torch.manual_seed(5)
    vocab = word_vocab()
    model = SentenceVAE(len(vocab), emb_dim=8, hidden=16, latent=4, cell=request.param, skip=True).eval()
    with torch.no_grad():  # untrained weights decode near-constant sentences: make them spread out
        for parameter in model.parameters():
            parameter.mul_(4)
    folder = tmp_path_factory.mktemp("onnx") / f"sentence_vae-{request.param}-onnx"
    export_sentence_vae_onnx(model, {"vocab": "v.json", "max_tokens": 12}, folder)
    return model, vocab, OnnxSentenceVAE(folder)


def test_the_export_holds_the_graphs_and_what_the_command_reads(exported):
    model, _, onnx = exported
    assert onnx.latent == model.latent and onnx.extra == {"vocab": "v.json", "max_tokens": 12}
    assert onnx.states == (["h", "c"] if model.cell == "lstm" else ["h"])
    assert model.training is False  # exporting left the model as it was


def test_posterior_means_equal_the_torch_model_s(exported):
    model, vocab, onnx = exported
    encoded, _ = encode_words(vocab, SENTENCES)
    assert len({len(ids) for ids in encoded}) > 2  # sentences of several lengths
    for ids in encoded:
        expected = model.encode(torch.tensor([ids]), torch.tensor([len(ids)]))[0].detach().numpy()
        np.testing.assert_allclose(onnx.encode(ids), expected, rtol=1e-4, atol=1e-5)


def test_greedy_decodes_of_the_same_codes_equal_the_torch_model_s(exported):
    model, _, onnx = exported
    z = np.random.default_rng(0).standard_normal((30, model.latent)).astype(np.float32)
    expected = model.decode_greedy(torch.from_numpy(z), 15)
    assert onnx.greedy(z, 15) == expected
    assert len({tuple(ids) for ids in expected}) > 5  # the comparison covered different decodes


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_the_homotopy_equals_the_report_s(exported, method):
    model, vocab, onnx = exported
    s0, s1 = SENTENCES[0], SENTENCES[3]
    (ids0, ids1), _ = encode_words(vocab, [s0, s1])
    got = [decode_text(vocab, ids) for ids in onnx.homotopy(ids0, ids1, 6, method, 15)]
    assert got == homotopy(model, vocab, s0, s1, 6, method, 15)
