import pytest
import torch

from reviewgen.evaluation.metrics import sequence_nll
from reviewgen.models.charrnn import CharRNNLM
from reviewgen.training.batching import bucket_batches, lm_inputs_targets, naive_batches, pad_batch


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture
def corpus() -> list[list[int]]:
    """300 sequences of lengths 3..60 over ids 4..19, wrapped in <bos> ... <eos>."""
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(3, 61, (300,), generator=g).tolist()
    return [[1, *torch.randint(4, 20, (n,), generator=g).tolist(), 2] for n in lengths]


def test_pad_batch_right_pads_and_reports_lengths():
    padded, lengths = pad_batch([[5, 6, 7], [8]])
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    assert pad_batch([[5], [6, 7]], pad_id=9, pad_to=4)[0].tolist() == [[5, 9, 9, 9], [6, 7, 9, 9]]
    with pytest.raises(ValueError, match="pad_to=1"):
        pad_batch([[5, 6]], pad_to=1)


def test_lm_inputs_targets_shift_by_one():
    inputs, targets = lm_inputs_targets(torch.tensor([[1, 5, 6, 2], [1, 7, 2, 0]]))
    assert inputs.tolist() == [[1, 5, 6], [1, 7, 2]]
    assert targets.tolist() == [[5, 6, 2], [7, 2, 0]]  # the last target is padding: ignored by the loss


@pytest.mark.parametrize("make", [lambda n, g: bucket_batches(range(n), 16, g), lambda n, g: naive_batches(n, 16, g)])
def test_every_index_exactly_once(make):
    batches = make(103, torch.Generator().manual_seed(0))
    assert sorted(i for b in batches for i in b) == list(range(103))
    assert all(1 <= len(b) <= 16 for b in batches)


def test_buckets_hold_similar_lengths(corpus):
    lengths = [len(s) for s in corpus]
    g = torch.Generator().manual_seed(0)
    bucketed = bucket_batches(lengths, 10, g, bucket_factor=30)
    naive = naive_batches(len(corpus), 10, g)

    def padding(batches):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)

    assert padding(bucketed) < 0.2 * padding(naive)
    # The batches are shuffled: not simply ordered from shortest to longest.
    maxima = [max(lengths[i] for i in b) for b in bucketed]
    assert maxima != sorted(maxima)


def test_batches_are_deterministic_given_the_generator():
    lengths = list(range(50)) * 2

    def make(seed):
        return bucket_batches(lengths, 8, torch.Generator().manual_seed(seed), bucket_factor=3)

    assert make(1) == make(1) and make(1) != make(2)
    ordered = bucket_batches(lengths, 8, torch.Generator(), shuffle=False, bucket_factor=100)
    assert [i for b in ordered for i in b] == sorted(range(100), key=lambda i: lengths[i])


def test_per_token_loss_does_not_depend_on_batching(corpus):
    torch.manual_seed(0)
    model = CharRNNLM(20, cell="lstm", emb_dim=8, hidden=16).eval()
    longest = max(len(s) for s in corpus)

    def mean_nll(batches, pad_to=None):
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in batches:
                padded, _ = pad_batch([corpus[i] for i in batch], pad_to=pad_to)
                inputs, targets = lm_inputs_targets(padded)
                nll, n = sequence_nll(model(inputs)[0], targets)
                total, count = total + nll, count + n
        return total / count, count

    g = torch.Generator().manual_seed(0)
    bucketed, n_bucketed = mean_nll(bucket_batches([len(s) for s in corpus], 32, g, bucket_factor=4))
    naive, n_naive = mean_nll(naive_batches(len(corpus), 32, g), pad_to=longest)
    assert n_bucketed == n_naive == sum(len(s) - 1 for s in corpus)
    assert bucketed == pytest.approx(naive, rel=1e-5)
