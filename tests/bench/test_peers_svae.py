"""The peer comparison's plumbing: the PTB files it writes, the command it runs, the epochs it reads off."""

import pandas as pd

from reviewgen.bench.peers_svae import epoch_seconds, peer_command, write_ptb


def test_write_ptb_keeps_the_sentences_the_vae_trains_on(tmp_path):
    frame = pd.DataFrame({"tokens": [["a", "b"], ["c", "d", "e", "f"], ["g"], ["h", "i"]],
                          "split": ["train", "train", "valid", "test"]})
    frame.to_parquet(tmp_path / "s.parquet")
    counts = write_ptb(tmp_path / "s.parquet", 3, tmp_path / "ptb")
    assert counts == {"train": 1, "valid": 1}
    assert (tmp_path / "ptb" / "ptb.train.txt").read_text() == "a b\n"
    assert (tmp_path / "ptb" / "ptb.valid.txt").read_text() == "g\n"
    assert not (tmp_path / "ptb" / "ptb.test.txt").exists(), "the test split is never handed out"


def test_peer_command_passes_our_sizes(tmp_path):
    section = {"max_tokens": 25, "batch_size": 64, "train": {"lr": 0.003},
               "model": {"emb_dim": 128, "cell": "gru", "hidden": 256, "latent": 32, "word_dropout": 0.1,
                         "embed_dropout": 0.1}}
    command = peer_command(tmp_path / "peer", tmp_path, section, 2)
    flags = {flag: value for flag, value in zip(command, command[1:], strict=False) if flag.startswith("-")}
    assert command[1].endswith("train.py")
    assert {flags[k] for k in ("-eb", "-rnn", "-hs", "-ls", "-bs")} == {"128", "gru", "256", "32", "64"}


def test_epoch_seconds_run_from_the_line_before_the_first_batch_to_the_epoch_line():
    lines = [(0.0, "SentenceVAE("), (1.0, "Vocablurary"), (3.0, "TRAIN Batch 0000/9, Loss 1"),
             (9.0, "TRAIN Batch 0009/9, Loss 1"), (10.0, "TRAIN Epoch 00/2, Mean ELBO 1"), (10.5, "Model saved"),
             (11.0, "VALID Batch 0000/1"), (12.0, "VALID Epoch 00/2"), (14.0, "TRAIN Batch 0000/9"),
             (19.0, "TRAIN Epoch 01/2, Mean ELBO 1")]
    assert epoch_seconds(lines) == [9.0, 7.0]
