"""Word LM training throughput against pytorch/examples ``word_language_model``, on the same sentences.

Optional (``python -m reviewgen.bench --peer-wlm DIR``): DIR is a local copy of that example's folder
(its ``data.py`` and ``model.py``); nothing is downloaded. Both sides train on the default run's train
sentences (``data/processed/sentences.parquet``) with our word vocabulary (rarer words as ``<unk>``),
written one sentence per line as the example's corpus reads them. The peer's own corpus and model code
are imported from DIR and trained, at our word LM's sizes, as its ``main.py`` trains (a ``bptt`` window
of the batchified stream per step, hidden state carried, clipped), with Adam at our learning rate, as
the issue's comparison ran it. Ours trains through the :class:`~reviewgen.training.trainer.Trainer`
with the ``wordlm`` params, its batches and step: whatever the default trains is what is timed. Each
side trains on about the same number of targets per pass, and the passes are timed in turns, so the
ratio holds on a busy machine.
"""

from __future__ import annotations

import importlib.util
import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from reviewgen.bench.timing import Row, interleaved_median_seconds
from reviewgen.data.tokens import PAD_ID

PEER_BPTT = 35  # main.py's default
PEER_CLIP = 0.25  # main.py's default


def _load(directory: Path, name: str) -> ModuleType:
    """``directory/name.py`` as a module of its own name-space, leaving ``sys.modules`` as it was."""
    path = directory / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: --peer-wlm wants pytorch/examples' word_language_model folder")
    spec = importlib.util.spec_from_file_location(f"peer_wlm_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_corpus(sentences: Any, vocab: Any, max_tokens: int, out: Path) -> None:
    """``train.txt``, ``valid.txt``, ``test.txt`` of ``out``: each split's sentences one per line, words
    outside ``vocab`` as ``<unk>``, cut as our word LM cuts them; the peer's corpus appends ``<eos>``."""
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid", "test"):
        tokens = sentences.loc[sentences["split"] == split, "tokens"]
        lines = (" ".join(vocab.decode(vocab.encode([str(t) for t in toks][:max_tokens]))) for toks in tokens)
        (out / f"{split}.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def peer_pass(peer_dir: Path, corpus_dir: Path, model: dict[str, Any], batch_size: int, lr: float,
              n_batches: int) -> tuple[Callable[[], None], int]:
    """A function training the peer, at the sizes of our ``wordlm.model`` params, on its first ``n_batches``
    windows, and the targets they hold."""
    data, model_module = _load(peer_dir, "data"), _load(peer_dir, "model")
    corpus = data.Corpus(str(corpus_dir))
    n_cols = corpus.train.size(0) // batch_size  # main.py's batchify: [length, batch] columns
    train = corpus.train.narrow(0, 0, n_cols * batch_size).view(batch_size, -1).t().contiguous()
    starts = list(range(0, train.size(0) - 1, PEER_BPTT))[:n_batches]
    torch.manual_seed(0)
    net = model_module.RNNModel("LSTM", len(corpus.dictionary), model["emb_dim"], model["hidden"],
                                model.get("layers", 1), model.get("dropout", 0.0))
    criterion = torch.nn.NLLLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)

    def run() -> None:
        net.train()
        hidden = net.init_hidden(batch_size)
        for i in starts:  # main.py's train(), step for step
            seq_len = min(PEER_BPTT, len(train) - 1 - i)
            inputs, targets = train[i : i + seq_len], train[i + 1 : i + 1 + seq_len].view(-1)
            optimizer.zero_grad()
            hidden = tuple(h.detach() for h in hidden)
            output, hidden = net(inputs, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), PEER_CLIP)
            optimizer.step()

    tokens = sum(min(PEER_BPTT, len(train) - 1 - i) for i in starts) * batch_size
    return run, tokens


def our_pass(cfg: dict[str, Any], sentences: Path, vocab: Path, truth: Path, checkpoint: Path,
             n_tokens: int) -> tuple[Callable[[], None], int]:
    """A function training our word LM, as its stage does, on its first batches holding ``n_tokens``."""
    from reviewgen.experiments import wordlm
    from reviewgen.models.registry import model_class
    from reviewgen.training.runtime import epoch_seed, seed_everything
    from reviewgen.training.trainer import Trainer

    exp = wordlm.experiment(cfg, sentences, vocab, truth)
    generator = torch.Generator().manual_seed(epoch_seed(exp.config.seed, 1))  # the trainer's first epoch
    count, tokens = 0, 0
    for batch in exp.train_batches(1, generator):
        count, tokens = count + 1, tokens + int((batch[1] != PAD_ID).sum())
        if tokens >= n_tokens:
            break
    seed_everything(exp.config.seed)
    model = model_class(exp.kind)(**exp.hparams)
    config = exp.config.__class__(**{**vars(exp.config), "progress": False})
    trainer = Trainer(model, config, checkpoint, exp.step,
                      lambda epoch, gen: itertools.islice(exp.train_batches(epoch, gen), count), exp.valid_batches)
    return lambda: trainer._run_epoch(1, training=True), tokens


def bench_peer_wlm(cfg: dict[str, Any], peer_dir: Path, data_dir: Path, truth: Path, repeats: int,
                   n_batches: int) -> list[Row]:
    """One row: our tokens/s, the peer's, and their ratio, timed in turns on the same train sentences."""
    import pandas as pd

    from reviewgen.data.vocab import Vocab

    sentences, vocab_path = data_dir / "sentences.parquet", data_dir / "vocab_words.json"
    name = "wordlm vs word_language_model"
    if not sentences.exists() or not vocab_path.exists() or not truth.exists():
        return [Row("training", name, note=f"skipped: no {sentences} (run the default pipeline first)")]
    section = cfg["wordlm"]
    with tempfile.TemporaryDirectory(prefix="reviewgen-peer-") as tmp:
        corpus_dir = Path(tmp) / "corpus"
        write_corpus(pd.read_parquet(sentences), Vocab.load(vocab_path), section["data"]["max_tokens"], corpus_dir)
        peer, peer_tokens = peer_pass(peer_dir, corpus_dir, section["model"], section["batch_size"],
                                      section["train"]["lr"], n_batches)
        ours, our_tokens = our_pass(cfg, sentences, vocab_path, truth, Path(tmp) / "checkpoint.pt", peer_tokens)
        peer()  # warm-up: allocators, oneDNN's kernel choice
        ours()
        seconds = interleaved_median_seconds({"ours": ours, "peer": peer}, repeats)
    ours_rate, peer_rate = our_tokens / seconds["ours"], peer_tokens / seconds["peer"]
    return [Row("training", name, {"tokens_per_s": ours_rate, "peer_tokens_per_s": peer_rate,
                                   "ratio": ours_rate / peer_rate, "tokens": our_tokens, "peer_tokens": peer_tokens},
                note=f"peer: {peer_dir}, emb {section['model']['emb_dim']}, hidden {section['model']['hidden']}, "
                     f"batch {section['batch_size']}, bptt {PEER_BPTT}, Adam")]
