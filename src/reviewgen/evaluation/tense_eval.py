"""Running the tense CVAE on pairs and on prior samples: shared by its training stage and its reports."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations

import pandas as pd
import torch

from reviewgen.data.charcodec import CharCodec
from reviewgen.data.tenses import TENSES, Pair, regular_pasts
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


def strong_verb_pairs(rows: Sequence[Sequence[str]]) -> list[Pair]:
    """Every conversion (all ordered pairs of distinct tenses) of each verb whose past is not a regular
    one (``data.tenses.regular_pasts``: send/sent, lead/led, split/split, begin/began): the irregular forms
    a model must remember, not derive.

    Over the training verbs this measures memory on training data alone, which is what the reference
    pairs (training verbs, read only by the final evaluation) test."""
    past = TENSES.index("p")
    return [Pair(row[i], row[j], TENSES[i], TENSES[j]) for row in rows if row[past] not in regular_pasts(row[0])
            for i, j in permutations(range(len(TENSES)), 2)]


def scores(model, codec: CharCodec, reference: Sequence[Pair], heldout: Sequence[Pair],
           train_rows: Sequence[Sequence[str]], n_gaussian: int, seed: int) -> dict[str, float]:
    """BLEU-4 on the reference and held-out pairs, held-out exact matches, the N(0, I) Gaussian score and
    how many different training verbs its hits are; and exact matches on the strong training verbs'
    conversions (``strong_verb_pairs``), of all of them and of those from the past tense (sent -> sends)."""
    ref, held = convert_pairs(model, codec, reference), convert_pairs(model, codec, heldout)
    strong_pairs = strong_verb_pairs(train_rows)
    strong_exact = strong_from_past = None
    if strong_pairs:
        strong = convert_pairs(model, codec, strong_pairs)
        strong_exact = float(strong["exact"].mean())
        strong_from_past = float(strong.loc[strong["source_tense"] == "p", "exact"].mean())
    generator = torch.Generator(next(model.parameters()).device).manual_seed(seed)
    samples = four_tense_samples(model, codec, n_gaussian, generator, standard=True)
    return {
        "bleu_reference": float(ref["bleu4"].mean()),
        "bleu_heldout": float(held["bleu4"].mean()),
        "exact_heldout": float(held["exact"].mean()),
        "gaussian_score": gaussian_score(samples, train_rows),
        "gaussian_distinct_verbs": distinct_hits(samples, train_rows),
        "exact_train_strong_verbs": strong_exact,
        "exact_train_strong_verbs_from_past": strong_from_past,
    }
