import numpy as np
import pytest
import torch

from reviewgen.data.scaling import FeatureScaler
from reviewgen.evaluation.conditioning import marginal_draws
from reviewgen.experiments.lm_data import held_out_nll, sequence_batches
from reviewgen.experiments.wordlm import Split, conditioned_step, conditioning_metrics, sequence_logprobs
from reviewgen.models.wordlm import ConditionedWordLM
from reviewgen.training.trainer import StepContext

V, CPU = 12, torch.device("cpu")
SEQS = [[4, 5, 6], [7, 8], [9, 10, 11, 4], [5], [6, 7, 8, 9, 10]]
ROWS = np.array([[0.1], [0.9], [0.5], [0.3], [0.7]])


def tiny_model(condition_output: bool) -> ConditionedWordLM:
    torch.manual_seed(0)
    return ConditionedWordLM(V, n_features=1, emb_dim=6, hidden=8, condition_output=condition_output).eval()


def test_sequence_logprobs_add_up_to_the_held_out_nll():
    model = tiny_model(condition_output=True)
    logp = sequence_logprobs(model, SEQS, ROWS, batch_size=2, device=CPU)
    total, count = held_out_nll(model, conditioned_step, sequence_batches(SEQS, 2, ROWS)[1], CPU)
    assert logp.shape == (len(SEQS),) and np.all(logp < 0)
    assert -logp.sum() == pytest.approx(total, rel=1e-5)
    assert count == sum(len(s) + 1 for s in SEQS)


def test_a_model_that_ignores_its_features_gains_nothing_over_the_marginal():
    model = tiny_model(condition_output=False)
    with torch.no_grad():
        model.lstm.weight_ih_l0[:, 6:] = 0.0  # the feature column of the LSTM input
    split = Split(SEQS, ROWS, [str(i) for i in range(len(SEQS))], [["x"] * len(s) for s in SEQS])
    scaler = FeatureScaler.fit(["energy"], ROWS)
    metrics = conditioning_metrics(model, split, ROWS, scaler, {"words": {}}, k=4, batch_size=2, seed=0, device=CPU)
    assert metrics["conditioning_gain_nats"] == pytest.approx(0.0, abs=1e-6)
    assert "conditioning_oracle_nats" not in metrics


def test_marginal_of_a_conditioned_model_lies_between_best_and_worst_draw():
    model = tiny_model(condition_output=True)
    with torch.no_grad():
        model.feature_out.weight.copy_(torch.linspace(-6.0, 6.0, V)[:, None])  # make the features matter
    split = Split(SEQS, ROWS, [str(i) for i in range(len(SEQS))], [["x"] * len(s) for s in SEQS])
    scaler = FeatureScaler.fit(["energy"], ROWS)
    metrics = conditioning_metrics(model, split, ROWS, scaler, {"words": {}}, k=3, batch_size=2, seed=0, device=CPU)
    n_tokens = sum(len(s) + 1 for s in SEQS)
    draws = marginal_draws(ROWS, 3, seed=0)
    per_draw = [-sequence_logprobs(model, SEQS, scaler.transform(np.tile(r, (len(SEQS), 1))), 2, CPU).sum()
                for r in draws]
    marginal_nll = n_tokens * np.log(metrics["test_perplexity_marginal"])
    # log-mean-exp per sequence: never worse than the worst draw, never better than the best one by more
    # than log K per sequence.
    assert min(per_draw) - len(SEQS) * np.log(3) - 1e-6 <= marginal_nll <= max(per_draw) + 1e-6
    assert marginal_nll <= np.mean(per_draw) + 1e-6  # Jensen


def test_the_condition_prior_is_added_in_training_only():
    model = ConditionedWordLM(V, n_features=1, emb_dim=6, hidden=8, condition_output=True, condition_decay=0.1)
    with torch.no_grad():
        model.feature_out.weight.fill_(1.0)
    batch = next(iter(sequence_batches(SEQS, 5, ROWS)[1]()))
    plain = conditioned_step(model.eval(), batch, None).loss
    ctx = StepContext(epoch=1, global_step=0, training=True, state={})
    trained = conditioned_step(model.eval(), batch, ctx).loss  # eval mode: no dropout, same logits
    assert float(trained - plain) == pytest.approx(0.1 * V)
