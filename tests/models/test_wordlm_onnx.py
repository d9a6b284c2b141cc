"""The word LM's ONNX export under onnxruntime (``reviewgen.inference.wordlm``) computes the torch model's
logits, and decodes greedily what the torch model decodes."""

import numpy as np
import pytest
import torch

from reviewgen.inference.wordlm import OnnxWordLM
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.models.wordlm_onnx import export_wordlm_onnx

VOCAB = 40


@pytest.fixture(scope="module", params=[{"condition_output": True, "condition_input": False},
                                        {"condition_output": False, "condition_input": True, "layers": 2}])
def exported(request, tmp_path_factory):
    torch.manual_seed(5)
    model = ConditionedWordLM(VOCAB, n_features=2, emb_dim=8, hidden=12, **request.param).eval()
    with torch.no_grad():
        if model.feature_out is not None:  # the read-out starts at zero: give the features an effect
            model.feature_out.weight.normal_(0, 2.0)
        model.out.weight.mul_(6)  # spread the untrained logits, so greedy paths differ between rows
    folder = tmp_path_factory.mktemp("onnx") / "wordlm-onnx"
    export_wordlm_onnx(model, {"vocab": "v.json", "feature_medians": [0.5, 0.5]}, folder)
    return model, OnnxWordLM(folder)


def test_the_export_keeps_the_data_the_command_reads(exported):
    model, onnx = exported
    assert onnx.extra == {"vocab": "v.json", "feature_medians": [0.5, 0.5]}
    assert (onnx.layers, onnx.hidden, onnx.n_features) == (model.lstm.num_layers, 12, 2)
    assert model.training is False


def test_step_logits_equal_the_torch_model_s(exported):
    model, onnx = exported
    tokens = torch.randint(4, VOCAB, (3, 6))
    features = torch.rand(3, 2)
    expected, _ = model(tokens, features)
    h = c = np.zeros((onnx.layers, 3, onnx.hidden), dtype=np.float32)
    for t in range(tokens.size(1)):
        logits, h, c = onnx.session.run(None, {"previous": tokens[:, t].numpy(), "features": features.numpy(),
                                               "h": h, "c": c})
        np.testing.assert_allclose(logits, expected[:, t].detach().numpy(), rtol=1e-4, atol=1e-4)


def test_greedy_samples_equal_the_torch_model_s(exported):
    model, onnx = exported
    features = torch.rand(8, 2)
    expected = model.sample(features, max_len=12, temperature=0.0)
    assert onnx.sample(features.numpy(), 12, 0.0, np.random.default_rng(0)) == expected
    assert len({tuple(row) for row in expected}) > 1  # rows that differ: the comparison can fail


def test_samples_repeat_with_the_seed(exported):
    _, onnx = exported
    features = np.full((4, 2), 0.5, dtype=np.float32)
    first = onnx.sample(features, 10, 1.0, np.random.default_rng(3))
    assert first == onnx.sample(features, 10, 1.0, np.random.default_rng(3))
    assert first != onnx.sample(features, 10, 1.0, np.random.default_rng(4))
