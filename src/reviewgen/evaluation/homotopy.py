"""Walking the sentence VAE's latent space: encoding sentences, homotopies between two of them, prior samples.

Sentences are read the way the pipeline reads them (lower-cased, Treebank tokens, word ids + ``<eos>``),
and decoding is greedy, so a homotopy shows what each point of the path *means* to the decoder rather
than sampling noise. Decoded sentences are detokenised (Treebank rules undone) so that they read as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from reviewgen.data.tokens import PAD_ID
from reviewgen.data.vocab import Vocab
from reviewgen.evaluation.interpolation import encode_words, interpolate, tokenize
from reviewgen.models.sampling import generating

if TYPE_CHECKING:
    import pandas as pd

# NLTK (the tokenizer, BLEU) and pandas are imported where used.


def as_seen(vocab: Vocab, sentence: str) -> str:
    """``sentence`` as the model can know it: its tokens with the out-of-vocabulary ones as ``<unk>``."""
    from reviewgen.data.detokenize import decode_text

    return decode_text(vocab, vocab.encode(tokenize(sentence)))


def latent_path(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """``interpolation.interpolate`` between two codes on the model's device: ``[steps, D]``."""
    points = interpolate(z0.detach().cpu().numpy(), z1.detach().cpu().numpy(), steps, method)
    return torch.from_numpy(points).to(z0.device)


def batch_sentences(vocab: Vocab, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """``(tokens [B, T], lengths [B], OOV counts)``: word ids + ``<eos>``, right-padded, as in training."""
    encoded, oov_counts = encode_words(vocab, sentences)
    lengths = torch.tensor([len(ids) for ids in encoded], dtype=torch.long)
    padded = torch.full((len(encoded), int(lengths.max())), PAD_ID, dtype=torch.long)
    for row, ids in enumerate(encoded):
        padded[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return padded, lengths, oov_counts


@generating
def encode_sentences(model, vocab: Vocab, sentences: Sequence[str]) -> tuple[torch.Tensor, list[int]]:
    """Posterior means ``[N, latent]`` of ``sentences`` and the number of out-of-vocabulary tokens in each.

    Unknown words become ``<unk>`` with a warning; an empty sentence is a ``ValueError``.
    """
    if not sentences:
        raise ValueError("no sentences to encode")
    tokens, lengths, oov_counts = batch_sentences(vocab, sentences)
    device = next(model.parameters()).device
    return model.encode(tokens.to(device), lengths.to(device)), oov_counts


@generating
def decode_latents(model, vocab: Vocab, z: torch.Tensor, max_len: int = 40) -> list[str]:
    """Greedy decoding of every row of ``z`` in one batch."""
    from reviewgen.data.detokenize import decode_text

    return [decode_text(vocab, ids) for ids in model.decode_greedy(z, max_len)]


def word_bleu(hypothesis: str, reference: str) -> float:
    """Word BLEU-4 of ``hypothesis`` against one ``reference``, both read as pipeline tokens.

    Chen & Cherry's smoothing 1 (epsilon counts for empty n-gram orders) keeps a short sentence with no
    matching 4-gram from scoring exactly 0 when most of its words agree.
    """
    hyp, ref = tokenize(hypothesis), tokenize(reference)
    if not hyp or not ref:
        return float(hyp == ref)
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    return float(sentence_bleu([ref], hyp, smoothing_function=SmoothingFunction().method1))


def distinct_share(path: Sequence[str]) -> float:
    """Share of distinct decodes along a path (1.0: every point decodes to its own sentence)."""
    return len(set(path)) / len(path)


def homotopy(model, vocab: Vocab, s0: str, s1: str, steps: int = 7, method: str = "linear",
             max_len: int = 40) -> list[str]:
    """The greedy decoding of ``steps`` points from the code of ``s0`` to the code of ``s1``."""
    mu, _ = encode_sentences(model, vocab, [s0, s1])
    return decode_latents(model, vocab, latent_path(mu[0], mu[1], steps, method), max_len)


def reconstructions(model, vocab: Vocab, sentences: Sequence[str], max_len: int = 40) -> pd.DataFrame:
    """``input`` (as given) and ``output`` (greedy decoding of its posterior mean), one row per sentence."""
    mu, _ = encode_sentences(model, vocab, sentences)
    import pandas as pd

    return pd.DataFrame({"input": list(sentences), "output": decode_latents(model, vocab, mu, max_len)})


def prior_samples(model, vocab: Vocab, n: int, generator: torch.Generator | None = None,
                  max_len: int = 40) -> list[str]:
    """Greedy decodings of ``n`` codes drawn from the prior N(0, I)."""
    device = next(model.parameters()).device
    gen_device = generator.device if generator is not None else device
    z = torch.randn(n, model.latent, generator=generator, device=gen_device).to(device)
    return decode_latents(model, vocab, z, max_len)
