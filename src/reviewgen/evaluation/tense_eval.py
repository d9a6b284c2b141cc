"""Running the tense CVAE on pairs and on prior samples: shared by its training stage and its reports."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import TENSES, Pair
from reviewgen.evaluation.tense_metrics import bleu4, distinct_hits, gaussian_score


@torch.no_grad()
def convert_pairs(model, codec: CharCodec, pairs: Sequence[Pair]) -> pd.DataFrame:
    """One row per pair: input, target, tenses, the model's greedy conversion, its BLEU-4, exact match."""
    device = next(model.parameters()).device
    chars, _ = codec.batch([p.source for p in pairs])
    source = torch.tensor([TENSES.index(p.source_tense) for p in pairs], device=device)
    target = torch.tensor([TENSES.index(p.target_tense) for p in pairs], device=device)
    was_training = model.training
    model.eval()
    predictions = [codec.decode(ids) for ids in model.convert(chars.to(device), source, target)]
    model.train(was_training)
    frame = pd.DataFrame([p._asdict() for p in pairs])
    frame["prediction"] = predictions
    frame["bleu4"] = [bleu4(p.target, pred) for p, pred in zip(pairs, predictions, strict=True)]
    frame["exact"] = frame["prediction"] == frame["target"]
    return frame


@torch.no_grad()
def four_tense_samples(model, codec: CharCodec, n: int, generator: torch.Generator,
                       standard: bool = True) -> list[tuple[str, ...]]:
    """``n`` latent codes, each decoded in the four tenses. ``standard``: z ~ N(0, I), the Gaussian score's
    definition; otherwise the model's fitted aggregate-posterior prior."""
    was_training = model.training
    model.eval()
    tuples = model.generate_four_tenses(n, generator, standard=standard)
    model.train(was_training)
    return [tuple(codec.decode(ids) for ids in forms) for forms in tuples]


def scores(model, codec: CharCodec, reference: Sequence[Pair], heldout: Sequence[Pair],
           train_rows: Sequence[Sequence[str]], n_gaussian: int, seed: int) -> dict[str, float]:
    """BLEU-4 on the reference and held-out pairs, held-out exact matches, the N(0, I) Gaussian score and
    how many different training verbs its hits are."""
    ref, held = convert_pairs(model, codec, reference), convert_pairs(model, codec, heldout)
    generator = torch.Generator(next(model.parameters()).device).manual_seed(seed)
    samples = four_tense_samples(model, codec, n_gaussian, generator, standard=True)
    return {
        "bleu_reference": float(ref["bleu4"].mean()),
        "bleu_heldout": float(held["bleu4"].mean()),
        "exact_heldout": float(held["exact"].mean()),
        "gaussian_score": gaussian_score(samples, train_rows),
        "gaussian_distinct_verbs": distinct_hits(samples, train_rows),
    }
