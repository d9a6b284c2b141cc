"""Walking the sentence VAE's latent space: encoding sentences, homotopies between two of them, prior samples.

Sentences are read the way the pipeline reads them (lower-cased, Treebank tokens, word ids + ``<eos>``),
and decoding is greedy, so a homotopy shows what each point of the path *means* to the decoder rather
than sampling noise. Decoded sentences are detokenised (Treebank rules undone) so that they read as text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from reviewgen.data.tokens import PAD_ID
from reviewgen.data.vocab import Vocab
from reviewgen.io import get_logger
from reviewgen.models.sampling import generating

if TYPE_CHECKING:
    import pandas as pd

# NLTK (the tokenizer, BLEU) and pandas are imported where used: the CLI imports this module for METHODS.
log = get_logger("evaluation.homotopy")
METHODS = ("linear", "slerp")


@functools.cache
def _tokenizer():
    from reviewgen.data.sentences import make_tokenizer

    return make_tokenizer("treebank")


def tokenize(sentence: str) -> list[str]:
    """The tokens the pipeline gives ``sentence`` (``split_sentences`` lower-cases, then tokenises)."""
    return _tokenizer()(sentence.lower())


def as_seen(vocab: Vocab, sentence: str) -> str:
    """``sentence`` as the model can know it: its tokens with the out-of-vocabulary ones as ``<unk>``."""
    from reviewgen.data.detokenize import decode_text

    return decode_text(vocab, vocab.encode(tokenize(sentence)))


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """``[steps, D]`` points from ``z0`` to ``z1``, both included exactly.

    ``slerp`` follows the great circle between the two directions (White 2016): under a Gaussian prior
    nearly all mass lies near one radius, and the straight line between two codes cuts through the
    less likely region inside it. Near-parallel codes fall back to the straight line.
    """
    if steps < 2:
        raise ValueError(f"a homotopy needs at least 2 steps (its two ends), got {steps}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if z0.shape != z1.shape or z0.dim() != 1:
        raise ValueError(f"z0 and z1 must be vectors of one shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype, device=z0.device).unsqueeze(1)
    a, b = 1 - t, t
    if method == "slerp":
        cosine = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(1e-12)
        omega = torch.arccos(cosine.clamp(-1.0, 1.0))
        if torch.sin(omega) > 1e-6:
            a, b = torch.sin((1 - t) * omega) / torch.sin(omega), torch.sin(t * omega) / torch.sin(omega)
    points = a * z0 + b * z1
    # Rounding in the weights would otherwise move the ends slightly off the codes they stand for.
    points[0], points[-1] = z0, z1
    return points


def batch_sentences(vocab: Vocab, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """``(tokens [B, T], lengths [B], OOV counts)``: word ids + ``<eos>``, right-padded, as in training."""
    encoded, oov_counts = [], []
    for index, sentence in enumerate(sentences):
        tokens = tokenize(sentence)
        if not tokens:
            raise ValueError(f"sentence {index + 1} is empty ({sentence!r}): give at least one word")
        unknown = [token for token in tokens if token not in vocab]
        if unknown:
            log.warning("sentence %d has %d word(s) not in the vocabulary, read as <unk>: %s",
                        index + 1, len(unknown), ", ".join(sorted(set(unknown))))
        oov_counts.append(len(unknown))
        encoded.append(vocab.encode(tokens, add_eos=True))
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
    return decode_latents(model, vocab, interpolate(mu[0], mu[1], steps, method), max_len)


def homotopy_rows(s0: str, s1: str, decoded: Sequence[str]) -> list[tuple[str, str]]:
    """``(label, text)`` rows laying out a homotopy: ``s0``, ``z0``, the inner points by their fraction
    ``t`` of the way, ``z1``, ``s1``."""
    last = len(decoded) - 1
    inner = [(f"t={step / last:.2f}", text) for step, text in enumerate(decoded[1:-1], start=1)]
    return [("s0", s0), ("z0", decoded[0]), *inner, ("z1", decoded[-1]), ("s1", s1)]


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
