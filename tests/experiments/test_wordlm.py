import numpy as np
import pytest
import torch

from reviewgen.data.scaling import FeatureScaler
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.conditioning import marginal_draws
from reviewgen.experiments.lm_data import held_out_nll, sequence_batches
from reviewgen.experiments.wordlm import Split, conditioned_step, held_out_metrics, sample_text, sequence_logprobs
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.training.trainer import StepContext

V, CPU = 12, torch.device("cpu")
SEQS = [[4, 5, 6], [7, 8], [9, 10, 11, 4], [5], [6, 7, 8, 9, 10]]
ROWS = np.array([[0.1], [0.9], [0.5], [0.3], [0.7]])


def tiny_model(condition_output: bool, condition_input: bool = True) -> ConditionedWordLM:
    torch.manual_seed(0)
    return ConditionedWordLM(V, n_features=1, emb_dim=6, hidden=8, condition_output=condition_output,
                             condition_input=condition_input).eval()


def one_by_one_logprobs(model: ConditionedWordLM, rows: np.ndarray) -> np.ndarray:
    """The definition, sequence by sequence through ``forward``: the reference the batched paths must meet."""
    out = []
    with torch.no_grad():
        for seq, row in zip(SEQS, rows, strict=True):
            ids = torch.tensor([[1, *seq, 2]])
            logits, _ = model(ids[:, :-1], torch.as_tensor(row[None], dtype=torch.float32))
            out.append(float(logits.log_softmax(-1)[0].gather(-1, ids[0, 1:, None]).sum()))
    return np.array(out)


def test_sequence_logprobs_add_up_to_the_held_out_nll():
    model = tiny_model(condition_output=True)
    logp = sequence_logprobs(model, SEQS, [ROWS], batch_size=2, device=CPU)
    total, count = held_out_nll(model, conditioned_step, sequence_batches(SEQS, 2, ROWS)[1], CPU)
    assert logp.shape == (1, len(SEQS)) and np.all(logp < 0)
    assert -logp.sum() == pytest.approx(total, rel=1e-5)
    assert count == sum(len(s) + 1 for s in SEQS)


@pytest.mark.parametrize("condition_input", [True, False])
def test_every_feature_set_scores_as_forward_does_sequence_by_sequence(condition_input):
    # condition_input False takes the shared-exponential path; slopes steep enough to overflow float32
    # without its max shifts.
    model = tiny_model(condition_output=True, condition_input=condition_input)
    with torch.no_grad():
        model.feature_out.weight.copy_(torch.linspace(-60.0, 60.0, V)[:, None])
    sets = [ROWS, ROWS[::-1].copy(), np.full_like(ROWS, 2.0)]
    logp = sequence_logprobs(model, SEQS, sets, batch_size=2, device=CPU)
    assert logp.shape == (3, len(SEQS))
    for k, rows in enumerate(sets):
        np.testing.assert_allclose(logp[k], one_by_one_logprobs(model, rows), rtol=1e-5, atol=1e-4)


def test_a_model_that_ignores_its_features_gains_nothing_over_the_marginal():
    model = tiny_model(condition_output=False)
    with torch.no_grad():
        model.lstm.weight_ih_l0[:, 6:] = 0.0  # the feature column of the LSTM input
    split = Split(SEQS, ROWS, [str(i) for i in range(len(SEQS))], [["x"] * len(s) for s in SEQS])
    scaler = FeatureScaler.fit(["energy"], ROWS)
    metrics = held_out_metrics(model, split, ROWS, scaler, {"words": {}}, k=4, batch_size=2, seed=0, device=CPU)
    assert metrics["conditioning_gain_nats"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["test_perplexity"] == pytest.approx(metrics["test_perplexity_shuffled"], rel=1e-6)
    assert metrics["test_perplexity"] == pytest.approx(metrics["test_perplexity_constant"], rel=1e-6)
    assert "conditioning_oracle_nats" not in metrics


def test_marginal_of_a_conditioned_model_lies_between_best_and_worst_draw():
    model = tiny_model(condition_output=True)
    with torch.no_grad():
        model.feature_out.weight.copy_(torch.linspace(-6.0, 6.0, V)[:, None])  # make the features matter
    split = Split(SEQS, ROWS, [str(i) for i in range(len(SEQS))], [["x"] * len(s) for s in SEQS])
    scaler = FeatureScaler.fit(["energy"], ROWS)
    metrics = held_out_metrics(model, split, ROWS, scaler, {"words": {}}, k=3, batch_size=2, seed=0, device=CPU)
    n_tokens = sum(len(s) + 1 for s in SEQS)
    draws = marginal_draws(ROWS, 3, seed=0)
    per_draw = -sequence_logprobs(model, SEQS, [scaler.transform(np.tile(r, (len(SEQS), 1))) for r in draws], 2,
                                  CPU).sum(axis=1)
    marginal_nll = n_tokens * np.log(metrics["test_perplexity_marginal"])
    # log-mean-exp per sequence: never worse than the worst draw, never better than the best one by more
    # than log K per sequence.
    assert min(per_draw) - len(SEQS) * np.log(3) - 1e-6 <= marginal_nll <= max(per_draw) + 1e-6
    assert marginal_nll <= np.mean(per_draw) + 1e-6  # Jensen
    true_nll = -one_by_one_logprobs(model, scaler.transform(ROWS)).sum()
    assert metrics["test_perplexity"] == pytest.approx(np.exp(true_nll / n_tokens), rel=1e-5)


def test_the_condition_prior_is_added_in_training_only():
    model = ConditionedWordLM(V, n_features=1, emb_dim=6, hidden=8, condition_output=True, condition_decay=0.1)
    with torch.no_grad():
        model.feature_out.weight.fill_(1.0)
    batch = next(iter(sequence_batches(SEQS, 5, ROWS)[1]()))
    plain = conditioned_step(model.eval(), batch, None).loss
    ctx = StepContext(epoch=1, global_step=0, training=True, state={})
    trained = conditioned_step(model.eval(), batch, ctx).loss  # eval mode: no dropout, same logits
    assert float(trained - plain) == pytest.approx(0.1 * V)


def test_samples_file_reads_as_text():
    """The samples file joins Treebank tokens as a reader writes them: quotes as ", not `` ''."""
    vocab = Vocab.from_counts({"``": 3, "''": 3, "loud": 3, "songs": 3, ".": 3, ",": 3})
    torch.manual_seed(0)
    model = ConditionedWordLM(len(vocab), n_features=1, emb_dim=6, hidden=8).eval()
    sampling = {"per_value": 10, "temperature": 1.0, "max_len": 10, "values": [0.2, 0.8]}
    lines = sample_text(model, vocab, FeatureScaler(["energy"], [0.5], [0.2]), [0.5], sampling, seed=1)
    body = [line for line in lines.splitlines() if not line.startswith("#")]
    assert any('"' in line for line in body)  # the untrained model draws quotes often
    assert not any(mark in line for line in body for mark in ("``", "''"))
