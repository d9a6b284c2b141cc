import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reviewgen.models.charrnn import CELLS, CharRNNLM, HandRNN
from reviewgen.training.batching import lm_inputs_targets, pad_batch

V = 16


def batch(seqs):
    padded, _ = pad_batch([[1, *s, 2] for s in seqs])
    return lm_inputs_targets(padded)


def lm_loss(inputs, targets):
    return lambda model: F.cross_entropy(model(inputs)[0].reshape(-1, V), targets.reshape(-1), ignore_index=0)


def test_hand_rnn_matches_torch_rnn():
    torch_rnn = nn.RNN(3, 5, num_layers=2, batch_first=True)
    hand = HandRNN(3, 5, num_layers=2)
    with torch.no_grad():
        for layer, cell in enumerate(hand.cells):
            cell.weight_ih.copy_(getattr(torch_rnn, f"weight_ih_l{layer}"))
            cell.weight_hh.copy_(getattr(torch_rnn, f"weight_hh_l{layer}"))
            cell.bias.copy_(getattr(torch_rnn, f"bias_ih_l{layer}") + getattr(torch_rnn, f"bias_hh_l{layer}"))
    x, h0 = torch.randn(4, 7, 3), torch.randn(2, 4, 5)
    expected_out, expected_h = torch_rnn(x, h0)
    out, h = hand(x, h0)
    torch.testing.assert_close(out, expected_out)
    torch.testing.assert_close(h, expected_h)


@pytest.mark.parametrize("cell", CELLS)
def test_forward_shapes_and_state_continuation(cell):
    model = CharRNNLM(V, cell=cell, emb_dim=6, hidden=10, layers=2).eval()
    tokens = torch.randint(0, V, (3, 9))
    logits, hidden = model(tokens)
    assert logits.shape == (3, 9, V)
    h = hidden[0] if cell == "lstm" else hidden
    assert h.shape == (2, 3, 10)
    # Feeding the state back in continues the sequence exactly.
    first, state = model(tokens[:, :4])
    rest, _ = model(tokens[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), logits)


@pytest.mark.parametrize("cell", CELLS)
def test_training_lowers_the_loss(cell, toy_seqs, train):
    model = CharRNNLM(V, cell=cell, emb_dim=8, hidden=24)
    first, last = train(model, lm_loss(*batch(toy_seqs)))
    assert last < 0.5 * first


@pytest.fixture
def memorised(train) -> CharRNNLM:
    """An LSTM that has learnt one sequence, 4 5 6 <eos>, by heart."""
    model = CharRNNLM(V, cell="lstm", emb_dim=8, hidden=24, dropout=0.1)
    train(model, lm_loss(*batch([[4, 5, 6]])), steps=60, lr=0.05)
    return model


def test_greedy_sampling_stops_at_eos(memorised):
    assert memorised.sample(5, max_len=20, temperature=0) == [[4, 5, 6]] * 5
    assert memorised.training  # sampling switched to eval mode and back


def test_sampling_respects_max_len_and_is_reproducible():
    model = CharRNNLM(V, cell="gru", emb_dim=8, hidden=16)
    samples = model.sample(7, max_len=6, temperature=1.5, generator=torch.Generator().manual_seed(3))
    assert len(samples) == 7 and all(len(s) <= 6 for s in samples)
    assert all(i not in (0, 1, 2) for s in samples for i in s)
    again = model.sample(7, max_len=6, temperature=1.5, generator=torch.Generator().manual_seed(3))
    assert samples == again


def test_low_temperature_matches_greedy():
    model = CharRNNLM(V, cell="rnn", emb_dim=8, hidden=16)
    greedy = model.sample(4, max_len=12, temperature=0)
    assert model.sample(4, max_len=12, temperature=1e-4, generator=torch.Generator().manual_seed(0)) == greedy


def test_unknown_cell_is_rejected():
    with pytest.raises(ValueError, match="unknown cell"):
        CharRNNLM(V, cell="transformer")
