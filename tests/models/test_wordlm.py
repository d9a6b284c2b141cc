import pytest
import torch
import torch.nn.functional as F

from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.training.batching import lm_inputs_targets, pad_batch
from reviewgen.training.runtime import cpu_has_native_bf16

V = 20


def lm_loss(inputs, targets, features):
    def loss(model):
        logits, _ = model(inputs, features)
        return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=0)

    return loss


def test_forward_shapes_and_input_size():
    model = ConditionedWordLM(V, n_features=1, emb_dim=300, hidden=16).eval()
    assert model.lstm.input_size == 301  # the classic 300-d embedding + energy
    logits, (h, c) = model(torch.randint(0, V, (3, 7)), torch.rand(3, 1))
    assert logits.shape == (3, 7, V) and h.shape == c.shape == (1, 3, 16)


def test_features_must_match_the_batch():
    model = ConditionedWordLM(V, n_features=2, emb_dim=8, hidden=8)
    with pytest.raises(ValueError, match="n_features=2"):
        model(torch.randint(0, V, (3, 5)), torch.rand(3, 1))


def test_tied_weights_share_the_embedding():
    model = ConditionedWordLM(V, n_features=1, emb_dim=12, hidden=12, tie_weights=True)
    assert model.out.weight is model.embed.weight
    with pytest.raises(ValueError, match="hidden == emb_dim"):
        ConditionedWordLM(V, n_features=1, emb_dim=12, hidden=10, tie_weights=True)


def test_training_lowers_the_loss(toy_seqs, train):
    padded, _ = pad_batch([[1, *s, 2] for s in toy_seqs])
    features = torch.rand(len(toy_seqs), 2)
    model = ConditionedWordLM(V, n_features=2, emb_dim=8, hidden=24, layers=2, dropout=0.1)
    first, last = train(model, lm_loss(*lm_inputs_targets(padded), features))
    assert last < 0.5 * first


def test_the_features_steer_the_samples(train):
    # Energy 1.0 always reads "4 4 4", energy 0.0 always "5 5 5": only the feature tells them apart.
    padded, _ = pad_batch([[1, 4, 4, 4, 2], [1, 5, 5, 5, 2]] * 4)
    energy = torch.tensor([[1.0], [0.0]] * 4)
    model = ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=16)
    train(model, lm_loss(*lm_inputs_targets(padded), energy), steps=80, lr=0.05)
    assert model.sample(torch.tensor([[1.0], [0.0], [1.0]]), max_len=10, temperature=0) == [
        [4, 4, 4],
        [5, 5, 5],
        [4, 4, 4],
    ]


def test_sampling_is_batched_bounded_and_reproducible():
    model = ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=16)
    features = torch.rand(5, 1)
    samples = model.sample(features, max_len=4, generator=torch.Generator().manual_seed(2))
    assert len(samples) == 5 and all(len(s) <= 4 for s in samples)
    assert samples == model.sample(features, max_len=4, generator=torch.Generator().manual_seed(2))


def test_condition_output_adds_a_feature_dependent_bias_to_every_logit():
    torch.manual_seed(0)
    model = ConditionedWordLM(vocab_size=11, n_features=2, emb_dim=4, hidden=4, condition_output=True).eval()
    with torch.no_grad():
        model.feature_out.weight.normal_()  # it starts at zero
    tokens = torch.tensor([[1, 5, 6]])
    low, _ = model(tokens, torch.tensor([[0.0, 0.0]]))
    high, _ = model(tokens, torch.tensor([[1.0, 0.0]]))
    without = ConditionedWordLM(vocab_size=11, n_features=2, emb_dim=4, hidden=4)
    assert without.feature_out is None and model.feature_out.weight.shape == (11, 2)
    # Only feature 0 changed, so the read-out bias moved by exactly its column (plus the LSTM's own change).
    lstm_only = high - low - model.feature_out.weight[:, 0]
    model.feature_out = None
    low_plain, _ = model(tokens, torch.tensor([[0.0, 0.0]]))
    high_plain, _ = model(tokens, torch.tensor([[1.0, 0.0]]))
    assert torch.allclose(lstm_only, high_plain - low_plain, atol=1e-6)


def test_output_only_conditioning_keeps_the_features_out_of_the_lstm():
    model = ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=8, condition_output=True,
                              condition_input=False).eval()
    assert model.lstm.input_size == 8
    tokens = torch.randint(3, V, (2, 5))
    with torch.no_grad():
        model.feature_out.weight.fill_(1.0)
        low, _ = model(tokens, torch.zeros(2, 1))
        high, _ = model(tokens, torch.full((2, 1), 2.0))
    # The features only shift every logit by weight * feature, identically at every step.
    assert torch.allclose(high - low, torch.full_like(high, 2.0))
    with pytest.raises(ValueError, match="somewhere"):
        ConditionedWordLM(V, n_features=1, condition_output=False, condition_input=False)


def test_the_feature_read_out_starts_as_the_unconditioned_model():
    model = ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=8, condition_output=True,
                              condition_input=False).eval()
    tokens = torch.randint(3, V, (2, 5))
    with torch.no_grad():
        low, _ = model(tokens, torch.full((2, 1), -2.0))
        high, _ = model(tokens, torch.full((2, 1), 2.0))
    assert torch.equal(low, high)  # no random slope per word to unlearn


def test_condition_penalty_is_the_decay_times_the_squared_read_out():
    model = ConditionedWordLM(V, n_features=2, emb_dim=8, hidden=8, condition_output=True, condition_decay=0.5)
    with torch.no_grad():
        model.feature_out.weight.zero_()
        model.feature_out.weight[3] = torch.tensor([1.0, -2.0])
        model.feature_out.weight[7, 0] = 3.0
    assert float(model.condition_penalty()) == pytest.approx(0.5 * (1 + 4 + 9))
    model.condition_penalty().backward()
    assert torch.allclose(model.feature_out.weight.grad, model.feature_out.weight.detach())  # d/dW = 2 * 0.5 * W
    assert float(ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=8).condition_penalty()) == 0.0
    with pytest.raises(ValueError, match="condition_decay"):
        ConditionedWordLM(V, n_features=1, condition_output=True, condition_decay=-1.0)


def test_feature_bias_survives_bf16_autocast():
    # Logits near 8 have a bf16 resolution of 1/16; the feature offsets are far finer and must not round away.
    model = ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=8, condition_output=True,
                              condition_input=False).eval()
    with torch.no_grad():
        model.out.bias.fill_(8.0)
        model.feature_out.weight.copy_(torch.linspace(-0.01, 0.01, V)[:, None])
    tokens = torch.randint(0, V, (2, 5))
    # Without native bf16, oneDNN's LSTM refuses bf16 autocast; ATen's LSTM still runs the output layer in bf16.
    with torch.backends.mkldnn.flags(enabled=cpu_has_native_bf16()), torch.no_grad(), \
            torch.autocast("cpu", torch.bfloat16):
        low, _ = model(tokens, torch.zeros(2, 1))
        high, _ = model(tokens, torch.ones(2, 1))
    assert low.dtype == torch.float32
    expected = model.feature_out.weight[:, 0].detach().expand(2, 5, V)
    assert torch.allclose(high - low, expected, atol=1e-6)


def test_unconditioned_logits_plus_the_feature_bias_are_the_forward_logits():
    model = ConditionedWordLM(V, n_features=2, emb_dim=8, hidden=8, condition_output=True,
                              condition_input=False).eval()
    with torch.no_grad():
        model.feature_out.weight.normal_()
    tokens, features = torch.randint(0, V, (3, 5)), torch.randn(3, 2)
    with torch.no_grad():
        logits, _ = model(tokens, features)
        shared = model.unconditioned_logits(tokens)
    assert torch.allclose(shared + model.feature_bias(features)[:, None, :], logits, atol=1e-6)


def test_unconditioned_logits_are_refused_when_the_features_enter_the_lstm():
    model = ConditionedWordLM(V, n_features=1, emb_dim=8, hidden=8, condition_output=True, condition_input=True)
    with pytest.raises(ValueError, match="condition_input"):
        model.unconditioned_logits(torch.randint(0, V, (2, 3)))
