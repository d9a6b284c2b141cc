import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from reviewgen.models.recurrent import final_state


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_an_equal_length_batch_skips_packing_with_the_same_state(cell):
    torch.manual_seed(0)
    rnn = cell(5, 7, batch_first=True, bidirectional=True)
    inputs, lengths = torch.randn(4, 6, 5), torch.full((4,), 6)
    expected = rnn(pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False))[1]
    got = final_state(rnn, inputs, lengths)
    for want, have in zip(*(s if isinstance(s, tuple) else (s,) for s in (expected, got)), strict=True):
        torch.testing.assert_close(have, want)


def test_mixed_lengths_are_packed_so_padding_never_reaches_the_state():
    torch.manual_seed(0)
    rnn = nn.GRU(5, 7, batch_first=True, bidirectional=True)
    inputs, lengths = torch.randn(3, 6, 5), torch.tensor([6, 2, 4])
    state = final_state(rnn, inputs, lengths)
    garbage = inputs.clone()
    garbage[1, 2:], garbage[2, 4:] = 100.0, -100.0  # change only the padding
    torch.testing.assert_close(final_state(rnn, garbage, lengths), state)
    # Row 1 alone, unpadded, ends in the same state as inside the padded batch.
    torch.testing.assert_close(final_state(rnn, inputs[1:2, :2], lengths[1:2])[:, 0], state[:, 1])
