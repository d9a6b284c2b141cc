"""A character LM's ONNX export under onnxruntime (``reviewgen.inference.charlm``) computes the torch
model's logits and decodes greedily what the torch model decodes, for every cell and the feed-forward
n-gram."""

import json

import numpy as np
import pytest
import torch

from reviewgen.inference.charlm import OnnxCharLM
from reviewgen.models.charlm_onnx import export_charlm_onnx
from reviewgen.models.charrnn import CharRNNLM
from reviewgen.models.ngram import FeedForwardNGramLM

VOCAB = 30
MODELS = {
    "hand": lambda: CharRNNLM(VOCAB, "hand", emb_dim=6, hidden=10),
    "rnn": lambda: CharRNNLM(VOCAB, "rnn", emb_dim=6, hidden=10),
    "gru-2-layers": lambda: CharRNNLM(VOCAB, "gru", emb_dim=6, hidden=10, layers=2),
    "lstm": lambda: CharRNNLM(VOCAB, "lstm", emb_dim=6, hidden=10),
    "ffngram": lambda: FeedForwardNGramLM(VOCAB, order=4, emb_dim=6, hidden=16),
}


@pytest.fixture(scope="module", params=sorted(MODELS))
def exported(request, tmp_path_factory):
    torch.manual_seed(7)
    model = MODELS[request.param]().eval()
    with torch.no_grad():
        model.out.weight.mul_(8)  # spread the untrained logits, so greedy paths differ between rows
    folder = tmp_path_factory.mktemp("onnx") / f"charlm-{request.param}-onnx"
    export_charlm_onnx(model, {"vocab": "chars.json"}, folder)
    return model, OnnxCharLM(folder), folder


def test_the_export_keeps_the_data_the_command_reads(exported):
    model, onnx, folder = exported
    assert onnx.extra == {"vocab": "chars.json"}
    assert json.loads((folder / "meta.json").read_text())["kind"] in ("recurrent", "window")
    assert model.training is False  # the caller's model stays as it was


def test_step_logits_equal_the_torch_model_s(exported):
    model, onnx, _ = exported
    tokens = torch.randint(4, VOCAB, (3, 7))
    if isinstance(model, FeedForwardNGramLM):
        windows = tokens.unfold(1, model.order - 1, 1)  # [3, steps, order - 1]
        for t in range(windows.size(1)):
            logits = onnx.session.run(None, {"window": windows[:, t].numpy()})[0]
            np.testing.assert_allclose(logits, model(windows[:, t]).detach().numpy(), rtol=1e-5, atol=1e-5)
        return
    expected, _ = model(tokens)
    names = onnx.meta["state"]
    state = [np.zeros((onnx.meta["layers"], 3, onnx.meta["hidden"]), dtype=np.float32) for _ in names]
    for t in range(tokens.size(1)):
        feeds = {"previous": tokens[:, t].numpy(), **dict(zip(names, state, strict=True))}
        logits, *state = onnx.session.run(None, feeds)
        np.testing.assert_allclose(logits, expected[:, t].detach().numpy(), rtol=1e-5, atol=1e-5)


def test_greedy_samples_equal_the_torch_model_s(exported):
    model, onnx, _ = exported
    expected = model.sample(6, 15, temperature=0.0)
    assert onnx.sample(6, 15, 0.0, np.random.default_rng(0)) == expected
    assert any(expected)


def test_samples_repeat_with_the_seed(exported):
    _, onnx, _ = exported
    first = onnx.sample(5, 12, 1.0, np.random.default_rng(3))
    assert first == onnx.sample(5, 12, 1.0, np.random.default_rng(3))
    assert first != onnx.sample(5, 12, 1.0, np.random.default_rng(4))
