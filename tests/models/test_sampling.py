import torch

from reviewgen.data.tokens import BOS_ID, EOS_ID, PAD_ID
from reviewgen.models.sampling import autoregress, sample_next


def test_temperature_zero_is_greedy_and_never_draws_pad_or_bos():
    logits = torch.tensor([[9.0, 9.0, 0.0, 0.0, 1.0, 2.0], [9.0, 9.0, 0.0, 0.0, 3.0, 1.0]])
    assert sample_next(logits, 0).tolist() == [5, 4]
    draws = sample_next(logits.repeat(500, 1), 1.0, torch.Generator().manual_seed(0))
    assert not torch.isin(draws, torch.tensor([PAD_ID, BOS_ID])).any()


def test_low_temperature_approaches_greedy():
    logits = torch.randn(200, 30, generator=torch.Generator().manual_seed(0))
    cold = sample_next(logits, 1e-3, torch.Generator().manual_seed(1))
    assert torch.equal(cold, sample_next(logits, 0))


def scripted(stop_after: list[int], vocab: int = 8):
    """A step function whose row i emits id 4 + step until step ``stop_after[i]``, then <eos>.

    It follows ``keep`` as a model's state would, and records each call's inputs and original rows.
    """
    calls, rows = [], list(range(len(stop_after)))

    def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
        nonlocal rows
        if keep is not None:
            rows = [rows[k] for k in keep.tolist()]
        t = len(calls)
        calls.append((previous.clone(), list(rows)))
        logits = torch.zeros(len(rows), vocab)
        for position, row in enumerate(rows):
            logits[position, EOS_ID if t == stop_after[row] else 4 + t % 4] = 50.0
        return logits

    return step, calls


def test_rows_stop_at_their_own_eos_and_at_max_len():
    step, calls = scripted([1, 3, 100])
    out = autoregress(step, 3, max_len=5, temperature=1.0, generator=None, device=torch.device("cpu"))
    assert out == [[4], [4, 5, 6], [4, 5, 6, 7, 4]]
    assert calls[0][0].tolist() == [BOS_ID] * 3


def test_finished_rows_leave_the_batch():
    step, calls = scripted([1, 3, 100])
    autoregress(step, 3, max_len=5, temperature=1.0, generator=None, device=torch.device("cpu"))
    assert [rows for _, rows in calls] == [[0, 1, 2], [0, 1, 2], [1, 2], [1, 2], [2]]
    # Each remaining row is fed its own previous draw.
    assert calls[2][0].tolist() == [5, 5] and calls[4][0].tolist() == [7]


def test_loop_ends_once_every_row_is_done():
    step, calls = scripted([2, 1])
    out = autoregress(step, 2, max_len=50, temperature=0, generator=None, device=torch.device("cpu"))
    assert out == [[4, 5], [4]]
    assert len(calls) == 3
