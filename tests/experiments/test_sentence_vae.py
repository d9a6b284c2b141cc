"""The sentence VAE's training pieces: the true-ELBO validation, the autoencoder phase and decoder reset
(Li et al. 2019), the reconstruction BLEU it is chosen on, and the stage end to end on tiny data."""

import copy

import pandas as pd
import pytest
import torch

from reviewgen.config import ConfigError, load_params
from reviewgen.experiments.common import StageOutputs
from reviewgen.experiments.runner import train
from reviewgen.experiments.sentence_vae import decoder_reset, experiment, make_step, reconstruction_bleu
from reviewgen.inference.sentence_vae import OnnxSentenceVAE
from reviewgen.models.sentence_vae import SentenceVAE
from reviewgen.training.batching import pad_batch
from reviewgen.training.schedules import KLAnnealing
from reviewgen.training.trainer import StepContext
from tests.training.test_trainer import REPO

CPU = torch.device("cpu")
# Ids 4..19, each sentence closed by <eos> (2), as sentence_splits writes them.
SEQS = [[4, 5, 6, 7, 2], [8, 9, 10, 2], [11, 12, 13, 14, 15, 2], [16, 17, 18, 2], [4, 9, 13, 19, 2],
        [19, 18, 17, 16, 15, 2]]


def tiny(**kwargs) -> SentenceVAE:
    torch.manual_seed(0)
    return SentenceVAE(vocab_size=20, emb_dim=16, hidden=32, latent=8, cell="gru", **kwargs)


def test_validation_scores_the_true_elbo_whatever_the_schedule_and_floor():
    model = tiny().eval()
    batch = pad_batch(SEQS)
    kl = KLAnnealing("constant", max_weight=1.0, zero_steps=10)  # weight 0 now
    step = make_step(free_bits=5.0, per_example=True)
    valid = step(model, batch, StepContext(1, 0, False, {"kl": kl}))
    true = (valid.metrics["nll"] + valid.metrics["kl"]) / len(SEQS)
    assert valid.loss.item() == pytest.approx(true, rel=1e-5)
    assert kl.current_step == 0, "validation must not advance the schedule"
    trained = step(model, batch, StepContext(1, 0, True, {"kl": kl}))
    assert trained.loss.item() == pytest.approx(trained.metrics["nll"] / len(SEQS), rel=1e-5)  # weight 0
    assert kl.current_step == 1


def test_decoder_reset_fires_once_on_the_first_epoch_after_the_autoencoder_phase():
    model = tiny()
    start = decoder_reset(2)
    assert start(1, model) == [] and start(2, model) == [] and start(4, model) == []
    assert {id(p) for p in start(3, model)} == {id(p) for m in (model.decoder, model.to_state, model.out)
                                                 for p in m.parameters()}
    assert decoder_reset(0)(1, model) == []


def test_an_autoencoder_phase_makes_the_codes_reconstruct_their_sentences():
    """At KL weight 0 the decoder must read z to tell the six sentences apart: their greedy decodings
    from the posterior means come back, which an untrained model's do not."""
    torch.set_num_threads(1)
    model = tiny(word_dropout=0.0, embed_dropout=0.0)
    assert reconstruction_bleu(model, SEQS, CPU, max_len=10) < 0.2
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    step, kl = make_step(0.0), KLAnnealing("constant", max_weight=1.0, zero_steps=10**6)
    for global_step in range(200):
        model.train()
        out = step(model, pad_batch(SEQS), StepContext(1, global_step, True, {"kl": kl}))
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
    model.eval()
    tokens, lengths = pad_batch(SEQS)
    assert model.decode_greedy(model.encode(tokens, lengths), 10) == [seq[:-1] for seq in SEQS]
    # Smoothed BLEU-4 gives a perfect copy of a sentence under four words less than 1.
    assert reconstruction_bleu(model, SEQS, CPU, max_len=10) > 0.8


def tiny_cfg(**section) -> dict:
    cfg = copy.deepcopy(load_params(REPO / "params.yaml"))
    vae = cfg["sentence_vae"]
    vae["model"] |= {"emb_dim": 16, "hidden": 32, "latent": 4}
    vae["train"] |= {"epochs": 3}
    vae["lm"]["model"] |= {"emb_dim": 16, "hidden": 32}
    vae["lm"]["train"] |= {"epochs": 1}
    vae |= {"iw_samples": 3, "batch_size": 16, "monitor_sentences": 8, "pretrain": {"epochs": 1, "reset_decoder": True},
            **section}
    cfg["runtime"] |= {"device": "cpu", "progress": False}
    return cfg


def test_the_stage_trains_an_autoencoder_first_and_reports_on_the_true_elbo(tiny_data, tmp_path, tracking_store):
    exp = experiment(tiny_cfg(), tiny_data["sentences"], tiny_data["words"], tmp_path / "onnx")
    resets = []
    start = exp.epoch_start
    exp.epoch_start = lambda epoch, model: resets.append(epoch) or start(epoch, model)
    out = StageOutputs(*(tmp_path / name for name in ("m.pt", "m.json", "h.csv", "s.txt", "ck.pt")))
    metrics = train(exp, out)
    history = pd.read_csv(out.history)
    assert resets == [1, 2, 3] and metrics["epochs"] == 3
    first = history.iloc[0]
    assert first["train_loss"] == pytest.approx(first["train_nll"]), "epoch 1 trains at KL weight 0"
    assert history["train_loss"].iloc[1] > history["train_nll"].iloc[1], "then the KL counts"
    assert history["valid_loss"].tolist() == pytest.approx((history["valid_nll"] + history["valid_kl"]).tolist())
    assert history["valid_recon_bleu"].between(0, 1).all()
    assert 0 <= metrics["test_kl"] and metrics["test_nll_iw"] > 0 and metrics["lm_perplexity_same_sentences"] > 1
    # The kept model's export, for `reviewgen interpolate`, knows its vocabulary and length cut.
    exported = OnnxSentenceVAE(tmp_path / "onnx")
    assert exported.extra == {"vocab": str(tiny_data["words"]), "max_tokens": tiny_cfg()["sentence_vae"]["max_tokens"]}
    with pytest.raises(ConfigError, match="leave none"):
        experiment(tiny_cfg(pretrain={"epochs": 3}), tiny_data["sentences"], tiny_data["words"])
