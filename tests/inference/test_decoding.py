"""The numpy sampling loop follows ``models.sampling``: the same distribution, the same stopping rules."""

import numpy as np
import torch

from reviewgen.data.tokens import BOS_ID, EOS_ID, PAD_ID
from reviewgen.inference.decoding import autoregress, next_ids
from reviewgen.models.sampling import autoregress as torch_autoregress


def test_draws_follow_the_softmax_at_the_temperature_and_never_pad_or_bos():
    logits = np.array([[5.0, 5.0, 0.0, 1.0, 2.0, 0.5]] * 40000, dtype=np.float32)
    for temperature in (0.5, 1.0, 2.0):
        drawn = next_ids(logits, temperature, np.random.default_rng(0))
        assert not np.isin(drawn, [PAD_ID, BOS_ID]).any()
        expected = torch.softmax(torch.tensor([-np.inf, -np.inf, 0.0, 1.0, 2.0, 0.5]) / temperature, 0).numpy()
        np.testing.assert_allclose(np.bincount(drawn, minlength=6) / len(drawn), expected, atol=0.01)
    assert (next_ids(logits, 0.0, None) == 4).all()  # greedy: the best id that is not <pad> or <bos>


def test_rows_stop_at_their_eos_or_max_len_as_in_the_torch_loop():
    # Row r emits r + 3 ... until it has emitted r + 1 ids, then <eos>; row 3 never ends.
    def make_step(array):
        count = {"t": 0}
        rows = {"ids": np.arange(4)}

        def step(previous, keep):
            if keep is not None:
                rows["ids"] = rows["ids"][np.asarray(keep)]
            t = count["t"]
            count["t"] += 1
            logits = np.zeros((len(rows["ids"]), 8), dtype=np.float32)
            for i, r in enumerate(rows["ids"]):
                logits[i, EOS_ID if (t > r and r < 3) else 4 + int(r)] = 10.0
            return torch.from_numpy(logits) if not array else logits
        return step

    expected = torch_autoregress(make_step(False), 4, 6, 0.0, None, torch.device("cpu"))
    got = autoregress(make_step(True), 4, 6, 0.0, None)
    assert got == expected == [[4], [5, 5], [6, 6, 6], [7] * 6]
