"""The sentence VAE's report: homotopies between sentence pairs, reconstructions and prior samples.

Pairs are the fixed ones of the params (comparable across runs) plus ``test_pairs`` drawn, seeded, from
the test split (sentences the model never trained on). Every sentence is encoded in one batch and every
point of every homotopy decoded in another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch

from reviewgen.config import ConfigError, get
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.homotopy import (
    as_seen,
    decode_latents,
    distinct_share,
    encode_sentences,
    latent_path,
    prior_samples,
    reconstructions,
    word_bleu,
)
from reviewgen.evaluation.interpolation import METHODS, homotopy_rows
from reviewgen.io import get_logger, write_csv, write_json, write_text
from reviewgen.models.registry import load_model
from reviewgen.models.sentence_vae import SentenceVAE
from reviewgen.reports.tables import markdown_table

log = get_logger("reports.homotopy")
_SECTION = "homotopy"


def _fixed_pairs(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = get(cfg, "pairs", list, _SECTION)
    if not all(isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in pairs):
        raise ConfigError(f"params: '{_SECTION}.pairs' must be a list of [sentence, sentence] pairs, got {pairs!r}")
    return [(s0, s1) for s0, s1 in pairs]


def _test_sentences(sentences_path: Path, n: int, seed: int) -> list[str]:
    """``n`` distinct test-split sentences in a seeded random order."""
    frame = pd.read_parquet(sentences_path, columns=["text", "split"])
    texts = frame.loc[frame["split"] == "test", "text"].drop_duplicates()
    if len(texts) < n:
        raise ValueError(f"{sentences_path}: {n} test sentences wanted, the test split has {len(texts)}")
    return texts.sample(n=n, random_state=seed).tolist()


def homotopy_table(pairs: list[tuple[str, str]], decoded: list[list[str]]) -> pd.DataFrame:
    """One row per line of each homotopy: ``pair`` (1-based), ``step`` (the point's index along the path;
    ``s0``/``s1`` take their end's), ``label`` and ``text``."""
    rows = []
    for number, ((s0, s1), texts) in enumerate(zip(pairs, decoded, strict=True), start=1):
        laid_out = homotopy_rows(s0, s1, texts)
        steps = [0, *range(len(texts)), len(texts) - 1]
        rows += [{"pair": number, "step": step, "label": label, "text": text}
                 for step, (label, text) in zip(steps, laid_out, strict=True)]
    return pd.DataFrame(rows, columns=["pair", "step", "label", "text"])


def _markdown(table: pd.DataFrame, n_fixed: int, method: str, steps: int, metrics: dict[str, Any]) -> str:
    lines = ["# Homotopies in the sentence VAE's latent space", "",
             f"{steps} points from the code (posterior mean) of s0 to that of s1 by {method} interpolation, "
             "each decoded greedily. z0 and z1 are the decodings of the two sentences' own codes; "
             "out-of-vocabulary words are read as `<unk>`.", "",
             f"Endpoint agreement (z0 = s0, z1 = s1 as the vocabulary reads them): "
             f"{metrics['endpoint_agreement']:.3f}; endpoint word BLEU-4 on the test-split pairs: "
             f"{metrics['endpoint_bleu'] if metrics['endpoint_bleu'] is None else round(metrics['endpoint_bleu'], 3)}; "
             f"share of distinct decodes along a path: {metrics['path_distinct_share']:.3f}", ""]
    for number, group in table.groupby("pair", sort=True):
        origin = "fixed pair" if number <= n_fixed else "test-split pair"
        lines += [f"## Pair {number} ({origin})", "", markdown_table(group[["label", "text"]])]
    return "\n".join(lines)


def write_homotopy_report(model_path: Path, vocab_path: Path, sentences_path: Path, cfg: dict[str, Any],
                          out_md: Path, out_csv: Path, recon_md: Path, samples_txt: Path,
                          metrics_path: Path) -> dict[str, Any]:
    steps = get(cfg, "steps", int, _SECTION, minimum=2)
    method = get(cfg, "method", str, _SECTION, choices=METHODS)
    max_len = get(cfg, "max_len", int, _SECTION, minimum=1)
    seed = get(cfg, "seed", int, _SECTION)
    n_test_pairs = get(cfg, "test_pairs", int, _SECTION, minimum=0)
    n_recon = get(cfg, "reconstructions", int, _SECTION, minimum=0)
    n_samples = get(cfg, "prior_samples", int, _SECTION, minimum=1)
    fixed = _fixed_pairs(cfg)

    model, _, _ = load_model(model_path, expected=SentenceVAE)
    vocab = Vocab.load(vocab_path)
    drawn = _test_sentences(sentences_path, 2 * n_test_pairs + n_recon, seed)
    pairs = fixed + list(zip(drawn[0:2 * n_test_pairs:2], drawn[1:2 * n_test_pairs:2], strict=True))
    if not pairs:
        raise ConfigError(f"params: '{_SECTION}' gives no pairs: set 'pairs' or 'test_pairs'")

    ends = [s for pair in pairs for s in pair]
    mu, oov = encode_sentences(model, vocab, ends)
    paths = [latent_path(mu[2 * i], mu[2 * i + 1], steps, method) for i in range(len(pairs))]
    flat = decode_latents(model, vocab, torch.cat(paths), max_len)
    decoded = [flat[i * steps:(i + 1) * steps] for i in range(len(pairs))]
    table = homotopy_table(pairs, decoded)

    recon = reconstructions(model, vocab, drawn[2 * n_test_pairs:], max_len) if n_recon else None
    generator = torch.Generator(next(model.parameters()).device).manual_seed(seed)
    samples = prior_samples(model, vocab, n_samples, generator, max_len)

    decoded_ends = [text for path in decoded for text in (path[0], path[-1])]
    n_fixed_ends = 2 * len(fixed)
    test_ends = list(zip(decoded_ends[n_fixed_ends:], ends[n_fixed_ends:], strict=True))
    metrics: dict[str, Any] = {
        "pairs": len(pairs),
        # Against the sentence as the vocabulary reads it: an <unk> the model cannot know is not its error.
        "endpoint_bleu": (sum(word_bleu(d, as_seen(vocab, s)) for d, s in test_ends) / len(test_ends)
                          if test_ends else None),
        "endpoint_bleu_all_pairs": sum(word_bleu(d, as_seen(vocab, s)) for d, s in
                                       zip(decoded_ends, ends, strict=True)) / len(ends),
        "path_distinct_share": sum(distinct_share(path) for path in decoded) / len(decoded),
        "endpoint_agreement": sum(d == as_seen(vocab, s) for d, s in zip(decoded_ends, ends, strict=True))
        / len(ends),
        "prior_samples": n_samples,
        "prior_distinct_share": len(set(samples)) / n_samples,
        "oov_tokens_fixed_pairs": sum(oov[:n_fixed_ends]),
        "oov_tokens_test_pairs": sum(oov[n_fixed_ends:]),
        "oov_fixed_sentences": {s: n for s, n in zip(ends[:n_fixed_ends], oov, strict=False) if n},
    }
    if recon is not None:
        exact = [out == as_seen(vocab, inp) for inp, out in zip(recon["input"], recon["output"], strict=True)]
        metrics["reconstruction_exact"] = sum(exact) / len(exact)
    log.info("homotopy metrics: %s", metrics)

    write_text(out_md, _markdown(table, len(fixed), method, steps, metrics))
    write_csv(out_csv, table)
    recon_text = ("# Reconstructions of test sentences\n\nGreedy decoding of each sentence's posterior mean; "
                  f"exact: {metrics['reconstruction_exact']:.3f}\n\n" + markdown_table(recon)
                  if recon is not None else "# Reconstructions of test sentences\n\nNone asked for.\n")
    write_text(recon_md, recon_text)
    write_text(samples_txt, "".join(s + "\n" for s in samples))
    write_json(metrics_path, metrics)
    return metrics
