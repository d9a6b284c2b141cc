"""Our sentence VAE's training throughput against timbmg/Sentence-VAE's, on the same sentences and sizes.

``python -m reviewgen.bench.peers_svae --peer DIR`` where DIR holds a checkout of
https://github.com/timbmg/Sentence-VAE (nothing is downloaded). The peer's own ``train.py`` runs unmodified
in a scratch folder on our training and validation sentences, written in the PTB format its loader reads
(one sentence a line, tokens separated by spaces), at our sizes (GRU, embedding, hidden, latent, batch and
word dropout from ``params.yaml``). Its epoch time is read off its output: from the line before its first
training batch to its "TRAIN Epoch" line, so its data-loader start is counted as in its real epochs.

Ours is one training pass through the stage's own Trainer (step, batches, optimizer, precision). The two
run in turns (ours, the peer, ours) so that load from other processes falls on both alike, and each is
reported in training tokens (words and ``<eos>``) per second: the two tokenisers cut the same text slightly differently.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from reviewgen.config import load_params
from reviewgen.io import write_json

REPO = Path(__file__).resolve().parents[3]
# The peer imports tensorboardX at the top of train.py and only uses it with -tb, which is never given.
_STUB = "class SummaryWriter:\n    def __init__(self, *args, **kwargs):\n        raise RuntimeError('no logging')\n"


def write_ptb(sentences: Path, max_tokens: int, out_dir: Path) -> dict[str, int]:
    """``ptb.train.txt`` and ``ptb.valid.txt`` of the sentences our VAE trains on; their counts."""
    frame = pd.read_parquet(sentences, columns=["tokens", "split"])
    counts = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid"):
        kept = [" ".join(t) for t in frame.loc[frame["split"] == split, "tokens"] if len(t) <= max_tokens]
        (out_dir / f"ptb.{split}.txt").write_text("".join(line + "\n" for line in kept))
        counts[split] = len(kept)
    return counts


def peer_command(peer: Path, data_dir: Path, section: dict[str, Any], epochs: int) -> list[str]:
    model = section["model"]
    return [sys.executable, str(peer / "train.py"), "--data_dir", str(data_dir), "--create_data",
            "--max_sequence_length", str(section["max_tokens"] + 2), "-ep", str(epochs),
            "-bs", str(section["batch_size"]), "-lr", str(section["train"]["lr"]),
            "-eb", str(model["emb_dim"]), "-rnn", model["cell"], "-hs", str(model["hidden"]),
            "-ls", str(model["latent"]), "-wd", str(model["word_dropout"]), "-ed", str(model["embed_dropout"]),
            "-v", "1000000", "-bin", str(data_dir / "bin")]


def epoch_seconds(lines: list[tuple[float, str]]) -> list[float]:
    """Each training epoch's seconds from the peer's timestamped output lines."""
    seconds, before = [], None
    for index, (stamp, line) in enumerate(lines):
        if line.startswith("TRAIN Batch 0000") and index > 0:
            before = lines[index - 1][0]
        elif line.startswith("TRAIN Epoch") and before is not None:
            seconds.append(stamp - before)
            before = None
    return seconds


def run_peer(peer: Path, workdir: Path, section: dict[str, Any], epochs: int) -> dict[str, float]:
    (workdir / "stub" / "tensorboardX").mkdir(parents=True, exist_ok=True)
    (workdir / "stub" / "tensorboardX" / "__init__.py").write_text(_STUB)
    env = dict(os.environ, PYTHONPATH=str(workdir / "stub"), PYTHONUNBUFFERED="1")  # lines come as printed
    proc = subprocess.Popen(peer_command(peer, workdir, section, epochs), cwd=workdir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = [(time.perf_counter(), line.rstrip("\n")) for line in proc.stdout]
    if proc.wait() != 0:
        raise RuntimeError("the peer failed:\n" + "\n".join(line for _, line in lines[-20:]))
    data = json.loads((workdir / "ptb.train.json").read_text())
    vocab = json.loads((workdir / "ptb.vocab.json").read_text())["w2i"]
    tokens = sum(row["length"] for row in data.values())  # <sos> + words, as long as words + <eos>
    last = epoch_seconds(lines)[-1]  # the first epoch also pays the JSON load and warm-up
    return {"seconds_per_epoch": last, "tokens": tokens, "tokens_per_s": tokens / last, "vocab": len(vocab)}


def run_ours(cfg: dict[str, Any], sentences: Path, vocab: Path, workdir: Path) -> dict[str, float]:
    """One training pass of our stage, through its own Trainer (step, batches, optimizer, precision)."""
    from reviewgen.experiments.sentence_vae import experiment
    from reviewgen.models.sentence_vae import SentenceVAE
    from reviewgen.training.runtime import epoch_seed, seed_everything
    from reviewgen.training.trainer import Trainer

    exp = experiment(cfg, sentences, vocab)
    generator = torch.Generator().manual_seed(epoch_seed(exp.config.seed, 1))  # the trainer's first epoch
    tokens = sum(int(batch[1].sum()) for batch in exp.train_batches(1, generator))
    seed_everything(exp.config.seed)
    config = exp.config.__class__(**{**vars(exp.config), "progress": False})
    trainer = Trainer(SentenceVAE(**exp.hparams), config, workdir / "ours.pt", exp.step, exp.train_batches,
                      exp.valid_batches, state=exp.state)
    started = time.perf_counter()
    trainer._run_epoch(1, training=True)
    seconds = time.perf_counter() - started
    return {"seconds_per_epoch": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds,
            "vocab": exp.hparams["vocab_size"]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, required=True, help="a checkout of timbmg/Sentence-VAE")
    parser.add_argument("--sentences", type=Path, default=REPO / "data/processed/sentences.parquet")
    parser.add_argument("--vocab", type=Path, default=REPO / "data/processed/vocab_words.json")
    parser.add_argument("--peer-epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "results/benchmarks/peers_svae.json")
    args = parser.parse_args(argv)
    cfg = load_params(REPO / "params.yaml")
    cfg["runtime"]["progress"] = False
    section = cfg["sentence_vae"]
    ours = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        counts = write_ptb(args.sentences, section["max_tokens"], workdir)
        ours.append(run_ours(cfg, args.sentences, args.vocab, workdir))
        peer = run_peer(args.peer, workdir, section, args.peer_epochs)
        ours.append(run_ours(cfg, args.sentences, args.vocab, workdir))
    mine = {key: statistics.median(run[key] for run in ours) for key in ours[0]}
    result = {"sentences": counts, "threads": torch.get_num_threads(), "ours": mine, "peer": peer,
              "ratio_tokens_per_s": mine["tokens_per_s"] / peer["tokens_per_s"],
              "ratio_seconds_per_epoch": peer["seconds_per_epoch"] / mine["seconds_per_epoch"]}
    write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
