from reviewgen.reports.wordfreq import conditioning_lines

METRICS = {"test_perplexity": 7.9, "test_perplexity_marginal": 8.0, "marginal_draws": 16,
           "test_perplexity_constant": 8.1, "test_perplexity_shuffled": 8.2, "conditioning_gain_nats": 0.002}


def test_conditioning_lines_state_the_baselines_and_the_oracle_share_when_there_is_one():
    assert conditioning_lines({"test_perplexity": 7.9}) == []
    real = "\n".join(conditioning_lines(METRICS))
    assert "marginal over 16 training draws: 8.0000" in real and "0.00200 nats per token" in real
    assert "oracle" not in real
    synthetic = "\n".join(conditioning_lines(METRICS | {"conditioning_oracle_nats": 0.004,
                                                        "conditioning_captured": 0.5}))
    assert "oracle gain" in synthetic and "captured: 0.500" in synthetic
