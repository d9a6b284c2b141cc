"""The Gaussian score's samples come from N(0, I), never from the fitted aggregate prior."""

from __future__ import annotations

import torch

from reviewgen.data.charcodec import CharCodec
from reviewgen.evaluation.tense_eval import four_tense_samples, scores, strong_verb_pairs
from reviewgen.models.tense_cvae import TenseCVAE


def _model() -> tuple[TenseCVAE, CharCodec]:
    codec = CharCodec.from_words(["walk", "walks", "walking", "walked"])
    torch.manual_seed(0)
    return TenseCVAE(len(codec), hidden=16, latent=4, cond_dim=2, emb_dim=8), codec


def test_gaussian_samples_draw_z_from_the_standard_normal_even_with_a_fitted_prior(monkeypatch):
    model, codec = _model()
    model.fit_aggregate_prior(torch.full((3, 4), 50.0), torch.full((3, 4), -20.0))
    drawn: list[torch.Tensor] = []
    real = model.sample_prior

    def record(n, generator=None, standard=False):
        z = real(n, generator, standard)
        drawn.append(z)
        return z

    monkeypatch.setattr(model, "sample_prior", record)
    four_tense_samples(model, codec, 2000, torch.Generator().manual_seed(0), standard=True)
    z = drawn[-1]
    assert abs(float(z.mean())) < 0.05 and abs(float(z.std()) - 1) < 0.05
    four_tense_samples(model, codec, 10, torch.Generator().manual_seed(0), standard=False)
    assert float(drawn[-1].mean()) > 40  # the labelled extra reads the aggregate prior instead


def test_strong_verb_pairs_are_every_conversion_of_the_verbs_whose_past_is_not_regular():
    rows = [("walk", "walks", "walking", "walked"), ("send", "sends", "sending", "sent"),
            ("split", "splits", "splitting", "split"), ("lead", "leads", "leading", "led")]
    pairs = strong_verb_pairs(rows)
    assert len(pairs) == 3 * 12
    assert {p.source for p in pairs} == {"send", "sends", "sending", "sent", "split", "splits", "splitting",
                                         "lead", "leads", "leading", "led"}
    assert ("sent", "sends", "p", "tp") in pairs and ("split", "splitting", "p", "pg") in pairs
    assert ("led", "leads", "p", "tp") in pairs  # ends in "-ed", yet no regular past of "lead"
    assert all(p.source_tense != p.target_tense for p in pairs)
    assert strong_verb_pairs(rows[:1]) == []


def test_strong_verb_scores_count_every_conversion_and_those_from_the_past(monkeypatch):
    """A model that copies its input: of the 12 conversions of split only split <-> split (sp, p) are
    right, of send none; from the past, split -> split is the one hit in six."""
    rows = [("walk", "walks", "walking", "walked"), ("send", "sends", "sending", "sent"),
            ("split", "splits", "splitting", "split")]
    codec = CharCodec.from_words([form for row in rows for form in row])
    torch.manual_seed(0)
    model = TenseCVAE(len(codec), hidden=16, latent=4, cond_dim=2, emb_dim=8)
    monkeypatch.setattr(model, "convert", lambda chars, source, target: [[int(i) for i in row] for row in chars])
    pair = [strong_verb_pairs(rows)[0]]
    metrics = scores(model, codec, pair, pair, rows, n_gaussian=4, seed=0)
    assert metrics["exact_train_strong_verbs"] == 2 / 24
    assert metrics["exact_train_strong_verbs_from_past"] == 1 / 6
