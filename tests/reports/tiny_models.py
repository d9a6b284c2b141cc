"""Tiny trained models and their inputs, laid out as the training stages write them.

Shared by the report tests and the CLI tests. A few dozen full-batch steps on a handful of sentences or
verbs: enough for the decoders to say something, a second or two on one thread.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import REFERENCE, TENSES, Pair, TenseData, write_tense_data
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.homotopy import batch_sentences, tokenize
from reviewgen.io import write_csv, write_json, write_parquet
from reviewgen.models.registry import save_model
from reviewgen.models.sentence_vae import SentenceVAE
from reviewgen.models.sentence_vae_onnx import export_sentence_vae_onnx
from reviewgen.models.tense_cvae import TenseCVAE
from reviewgen.models.tense_onnx import export_tense_onnx

SENTENCES = [
    "the band played a slow song .",
    "the singer was quiet tonight .",
    "it was a loud record .",
    "the drums were slow and loud .",
    "a quiet song about the sea .",
    "the record was short but sweet .",
    "we played it again and again .",
    "the guitar sounds warm .",
]
# The reference verbs (so that the reference pairs are training verbs, as in the pipeline) and two more.
TENSE_ROWS = [
    ("abandon", "abandons", "abandoning", "abandoned"), ("abet", "abets", "abetting", "abetted"),
    ("begin", "begins", "beginning", "began"), ("expend", "expends", "expending", "expended"),
    ("send", "sends", "sending", "sent"), ("split", "splits", "splitting", "split"),
    ("flare", "flares", "flaring", "flared"), ("function", "functions", "functioning", "functioned"),
    ("heal", "heals", "healing", "healed"), ("walk", "walks", "walking", "walked"),
    ("jump", "jumps", "jumping", "jumped"),
]
TEST_PAIRS = [Pair("play", "played", "sp", "p"), Pair("looks", "looking", "tp", "pg")]
VARIANTS = ("default", "gru")
HISTORY_COLUMNS = ("epoch", "train_loss", "valid_loss", "train_nll", "train_kl", "kl_weight", "teacher_forcing",
                   "bleu_valid", "gaussian_score", "seconds")


def _fit(model, loss_of, steps: int) -> None:
    torch.manual_seed(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(steps):
        optimiser.zero_grad()
        loss_of(model).backward()
        optimiser.step()
    model.eval()


def word_vocab() -> Vocab:
    """The word vocabulary of ``SENTENCES``, read as the pipeline reads them."""
    counts: dict[str, int] = {}
    for sentence in SENTENCES:
        for token in tokenize(sentence):
            counts[token] = counts.get(token, 0) + 1
    return Vocab.from_counts(counts)


def make_sentence_vae(root: Path, steps: int = 60) -> dict[str, Path]:
    """``vocab_words.json``, ``sentences.parquet`` (every sentence in train and test) and ``sentence_vae.pt``."""
    torch.set_num_threads(1)
    vocab = word_vocab()
    paths = {"vocab": root / "vocab_words.json", "sentences": root / "sentences.parquet",
             "model": root / "models" / "sentence_vae.pt"}
    vocab.save(paths["vocab"])
    tokens = [tokenize(s) for s in SENTENCES]
    write_parquet(paths["sentences"], pd.DataFrame({
        "text": SENTENCES * 2, "split": ["train"] * len(SENTENCES) + ["test"] * len(SENTENCES),
        "tokens": tokens * 2}))
    hparams = {"vocab_size": len(vocab), "emb_dim": 16, "hidden": 32, "latent": 4, "cell": "gru",
               "word_dropout": 0.0, "embed_dropout": 0.0}
    torch.manual_seed(0)
    model = SentenceVAE(**hparams)
    batch, lengths, _ = batch_sentences(vocab, SENTENCES)

    def loss_of(m):
        logits, mu, logvar = m(batch, lengths)
        return m.loss(logits, batch, mu, logvar, kl_weight=0.05)[0]

    _fit(model, loss_of, steps)
    extra = {"vocab": str(paths["vocab"]), "max_tokens": 12}
    save_model(paths["model"], "sentence_vae", hparams, model, extra | {"metrics": {}})
    export_sentence_vae_onnx(model, extra, root / "models" / "sentence_vae-onnx")  # as train_sentence_vae does
    return paths


def _train_tense(model: TenseCVAE, codec: CharCodec, steps: int) -> None:
    pairs = [(row[s], row[t], s, t) for row in TENSE_ROWS for s in range(4) for t in range(4)]
    chars, lengths = codec.batch([p[0] for p in pairs])
    target, _ = codec.batch([p[1] for p in pairs])
    src = torch.tensor([p[2] for p in pairs])
    tgt = torch.tensor([p[3] for p in pairs])

    def loss_of(m):
        logits, mu, logvar = m(chars, lengths, src, target, tgt)
        return m.loss(logits, target, mu, logvar, kl_weight=0.05)[0]

    _fit(model, loss_of, steps)


def make_tense_models(root: Path, steps: int = 40) -> dict[str, object]:
    """The tense dataset (``tense/``), and per variant a model, a history and a metrics file.

    "default" is trained and has its aggregate prior fitted; "gru" is untrained and has none.
    """
    torch.set_num_threads(1)
    tense_dir = root / "tense"
    write_tense_data(TenseData(train=TENSE_ROWS, valid=[], test=TEST_PAIRS, reference=list(REFERENCE)), tense_dir)
    codec = CharCodec.from_words(w for row in TENSE_ROWS for w in row)
    out: dict[str, object] = {"tense_dir": tense_dir, "models": {}, "histories": {}, "metrics": {}}
    for index, variant in enumerate(VARIANTS):
        hparams = {"n_chars": len(codec), "hidden": 32, "latent": 4, "cond_dim": 4, "emb_dim": 16,
                   "cell": "lstm" if variant == "default" else "gru"}
        torch.manual_seed(index)
        model = TenseCVAE(**hparams)
        if variant == "default":
            _train_tense(model, codec, steps)
            words = [w for row in TENSE_ROWS for w in row]
            chars, lengths = codec.batch(words)
            tenses = torch.tensor([t for _ in TENSE_ROWS for t in range(4)])
            with torch.no_grad():
                model.fit_aggregate_prior(*model.posterior(chars, lengths, tenses))
        paths = {name: root / folder / f"tense_cvae-{variant}.{ext}"
                 for name, folder, ext in (("models", "models", "pt"), ("histories", "histories", "csv"),
                                           ("metrics", "metrics", "json"))}
        save_model(paths["models"], "tense_cvae", hparams, model,
                   {"chars": codec.itos, "tenses": list(TENSES), "variant": variant, "metrics": {}})
        export_tense_onnx(model, codec.itos, list(TENSES), root / "models" / f"tense_cvae-{variant}-onnx")
        epochs = 3
        write_csv(paths["histories"], pd.DataFrame({
            column: [float(e + index) for e in range(1, epochs + 1)] for column in HISTORY_COLUMNS}))
        write_json(paths["metrics"], {"bleu_reference": 0.5 + index / 10, "bleu_heldout": 0.3 + index / 10,
                                      "exact_heldout": 0.0, "gaussian_score": 0.1 * index,
                                      "gaussian_distinct_verbs": index + 1,
                                      "gaussian_score_aggregate_prior": 0.2 + 0.1 * index,
                                      "exact_train_strong_verbs": 0.4, "exact_train_strong_verbs_from_past": 0.25,
                                      "kl_weight_max": 0.25, "kl_schedule": "monotonic",
                                      "cell": hparams["cell"]})
        for name, path in paths.items():
            out[name][variant] = path
    return out
