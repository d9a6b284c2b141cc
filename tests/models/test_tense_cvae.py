import pytest
import torch

from reviewgen.models.tense_cvae import PriorCover, TenseCVAE

# Four tiny "verbs" of ids 4..9, each in four "tenses" that differ by their last character.
WORDS = [[4, 5], [6, 7, 8], [9, 4], [5, 6, 7]]
SUFFIX = [None, 9, 8, 7]  # tense 0 is the bare form


def _form(word, tense):
    return word + ([SUFFIX[tense]] if SUFFIX[tense] else []) + [2]


def _batch(pairs):
    width = max(len(_form(w, t)) for w, t in pairs)
    chars = torch.zeros(len(pairs), width, dtype=torch.long)
    for row, (word, tense) in enumerate(pairs):
        form = _form(word, tense)
        chars[row, :len(form)] = torch.tensor(form)
    return chars, (chars != 0).sum(dim=1), torch.tensor([t for _, t in pairs])


def _tiny(cell="lstm", **kwargs):
    torch.manual_seed(0)
    return TenseCVAE(n_chars=10, hidden=32, latent=4, cond_dim=2, cell=cell, emb_dim=8, **kwargs)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("teacher_forcing", [1.0, 0.5])
def test_cross_tense_training_lowers_the_loss_and_tracks_kl(cell, teacher_forcing):
    torch.set_num_threads(1)
    model = _tiny(cell)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    src = _batch([(w, t) for w in WORDS for t in range(4) for _ in range(4)])
    tgt = _batch([(w, u) for w in WORDS for _ in range(4) for u in range(4)])
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(40):
        logits, mu, logvar = model(src[0], src[1], src[2], tgt[0], tgt[2], teacher_forcing, generator)
        loss, weight, metrics = model.loss(logits, tgt[0], mu, logvar, kl_weight=0.1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert logits.shape == (64, tgt[0].size(1), 10)
    assert weight == 64
    assert metrics["kl"] > 0 and metrics["tokens"] == int((tgt[0] != 0).sum())
    assert losses[-1] < 0.5 * losses[0]


def test_loss_free_bits_floor_only_raises_the_penalty():
    model = _tiny()
    chars, lengths, tense = _batch([(w, 1) for w in WORDS])
    logits, mu, logvar = model(chars, lengths, tense)
    plain, _, metrics = model.loss(logits, chars, mu, logvar, kl_weight=1.0)
    floored, _, floored_metrics = model.loss(logits, chars, mu, logvar, kl_weight=1.0, free_bits=5.0)
    assert floored.item() == pytest.approx(plain.item() - metrics["kl"] / 4 + 5.0 * 4, rel=1e-4)
    assert floored_metrics["kl"] == pytest.approx(metrics["kl"])  # the metric is the true KL


def test_shapes_of_encode_convert_and_generation():
    model = _tiny().eval()
    chars, lengths, tense = _batch([(w, 0) for w in WORDS])
    assert model.encode(chars, lengths, tense).shape == (4, 4)
    converted = model.convert(chars, tense, torch.full((4,), 2), max_len=6)
    assert len(converted) == 4 and all(len(ids) <= 6 for ids in converted)
    assert all(2 not in ids and 1 not in ids for ids in converted)
    generated = model.generate(torch.zeros(3, 4), torch.tensor([0, 1, 3]), max_len=5)
    assert len(generated) == 3
    tuples = model.generate_four_tenses(5, torch.Generator().manual_seed(0), max_len=5)
    assert len(tuples) == 5 and all(len(forms) == 4 for forms in tuples)


def test_encoding_ignores_padding():
    model = _tiny().eval()
    chars, lengths, tense = _batch([(WORDS[0], 0)])
    padded = torch.cat([chars, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    assert torch.allclose(model.encode(chars, lengths, tense), model.encode(padded, lengths, tense), atol=1e-6)


def test_aggregate_prior_samples_near_the_training_posteriors_and_survives_a_checkpoint():
    model = _tiny()
    mu = torch.tensor([[5.0, 5.0, 5.0, 5.0], [-5.0, -5.0, -5.0, -5.0]])
    model.fit_aggregate_prior(mu, torch.full_like(mu, -8.0))
    z = model.sample_prior(50, torch.Generator().manual_seed(0))
    nearest = torch.cdist(z, mu).min(dim=1).values
    assert bool((nearest < 0.2).all())

    fresh = _tiny()
    assert fresh.sample_prior(1000, torch.Generator().manual_seed(0)).std().item() == pytest.approx(1, abs=0.1)
    fresh.load_state_dict(model.state_dict())
    assert torch.equal(fresh.prior_mu, mu)
    standard = fresh.sample_prior(1000, torch.Generator().manual_seed(0), standard=True)
    assert standard.std().item() == pytest.approx(1, abs=0.1)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError):
        TenseCVAE(n_chars=10, cell="rnn")


def test_attention_reads_only_real_positions_with_the_right_shapes():
    from reviewgen.models.attention import Attention

    torch.manual_seed(0)
    attention = Attention(query_size=6, memory_size=10)
    query, memory = torch.randn(3, 5, 6), torch.randn(3, 7, 10)
    mask = torch.arange(7).unsqueeze(0) < torch.tensor([[7], [4], [1]])
    read, weights = attention(query, memory, mask)
    assert read.shape == (3, 5, 10) and weights.shape == (3, 5, 7)
    assert torch.allclose(weights.sum(dim=2), torch.ones(3, 5))
    assert (weights[~mask.unsqueeze(1).expand(-1, 5, -1)] == 0).all()
    assert torch.allclose(read[2], memory[2, :1].expand(5, -1))  # one real position: all weight on it
    changed = memory.clone()
    changed[1, 4:] = 100.0  # padding of row 1 must not matter
    assert torch.allclose(attention(query, changed, mask)[0][1], read[1])


def test_hidden_attention_ignores_the_source_characters_and_noise_decoding_never_attends():
    model = _tiny().eval()
    chars, lengths, tense = _batch([(w, 1) for w in WORDS])
    mu, _, memory, mask = model.read(chars, lengths, tense)
    hidden = torch.zeros(len(WORDS), dtype=torch.bool)
    logits = model.decode(mu, tense, chars, memory=memory, mask=mask, attend=hidden)
    other = model.decode(mu, tense, chars, memory=torch.randn_like(memory), mask=mask, attend=hidden)
    assert torch.allclose(logits, other)
    assert torch.allclose(logits, model.decode(mu, tense, chars))  # no memory at all: the same path
    shown = model.decode(mu, tense, chars, memory=memory, mask=mask)
    assert not torch.allclose(shown, logits)
    assert model.generate(mu, tense) == model.generate(mu, tense, memory=None)


def test_one_z_is_decoded_into_four_tenses():
    model = _tiny()
    chars, lengths, tense = _batch([(w, 0) for w in WORDS[:2]])
    targets, _, target_tenses = _batch([(w, t) for w in WORDS[:2] for t in range(4)])
    model.eval()
    torch.manual_seed(1)
    logits, mu, logvar = model(chars, lengths, tense, targets, target_tenses)
    assert logits.shape[:2] == targets.shape and mu.shape == (2, 4)
    loss, weight, sums = model.loss(logits, targets, mu, logvar, kl_weight=1.0)
    assert weight == 2 and sums["tokens"] == int((targets != 0).sum())
    # Rows 0-3 share the first word's z: decoding that z in tense t gives the same logits as rows t.
    torch.manual_seed(1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    _, _, memory, mask = model.read(chars, lengths, tense)
    alone = model.decode(z[:1].expand(4, -1), target_tenses[:4], targets[:4], memory=memory[:1].expand(4, -1, -1),
                         mask=mask[:1].expand(4, -1))
    assert torch.allclose(alone, logits[:4], atol=1e-5)
    forms = model.generate_four_tenses(3, torch.Generator().manual_seed(0), standard=True)
    assert len(forms) == 3 and all(len(f) == 4 for f in forms)


def test_scheduled_sampling_feeds_gold_or_the_models_own_guess():
    model = _tiny()
    chars, lengths, tenses = _batch([(w, t) for w in WORDS for t in range(4)])
    z = torch.randn(len(chars), 4)
    forced = model.decode(z, tenses, chars, 1.0)
    # Every gold input kept: the same logits as plain teacher forcing.
    always = model.decode(z, tenses, chars, 0.999999, torch.Generator().manual_seed(0))
    assert torch.allclose(forced, always, atol=1e-6)
    # No gold input after <bos>: each step reads the greedy guess of the teacher-forced pass instead.
    own = model.decode(z, tenses, chars, 0.0, torch.Generator().manual_seed(0))
    guesses = forced.argmax(dim=2)
    mixed = torch.cat([torch.full_like(chars[:, :1], 1), guesses[:, :-1]], dim=1)
    context, state = model._start(z, tenses)
    output, _ = model.decoder(model._step_input(mixed, context), state)
    attend = torch.ones(len(z), dtype=torch.bool)
    assert own.shape == forced.shape
    assert torch.allclose(own, model._predict(output, context, None, None, attend), atol=1e-6)


def test_prior_cover_decodes_each_draw_as_the_verb_of_the_densest_posterior():
    model = _tiny()
    chars, lengths, _ = _batch([(w, t) for w in WORDS for t in range(4)])
    cover = PriorCover(chars, lengths, n_tenses=4)
    cover.refresh(model, epoch=1)
    assert cover.mu.shape == cover.logvar.shape == (len(WORDS), 4)
    # A draw at a verb's posterior mean, with every posterior equally wide, belongs to that verb.
    cover.logvar = torch.zeros_like(cover.logvar)
    assert cover.nearest(cover.mu).tolist() == list(range(len(WORDS)))
    # Density, not distance: at 1.1 verb 1 (mean 2, variance 4) is nearer but verb 0 (mean 0, variance 1)
    # is denser, N(1.1; 0, 1) > N(1.1; 2, 4); at 1.9 verb 1 wins.
    cover.mu = torch.zeros(4, 4)
    cover.mu[1, 0], cover.mu[2, 0], cover.mu[3, 0] = 2.0, -50.0, 50.0
    cover.logvar = torch.zeros(4, 4)
    cover.logvar[1, 0] = torch.log(torch.tensor(4.0))
    points = torch.zeros(2, 4)
    points[:, 0] = torch.tensor([1.1, 1.9])
    assert cover.nearest(points).tolist() == [0, 1]


@pytest.mark.parametrize(("exponent", "owner"), [(1.0, 0), (0.5, 1), (0.0, 1)])
def test_the_variance_exponent_narrows_the_lead_of_broad_posteriors(exponent, owner):
    """At 1.1, verb 0 (mean 0, variance 1) is denser than verb 1 (mean 2, variance 4), though farther;
    with the variances raised to 0.5 (verb 1's is then 2) or 0 (distance alone) verb 1 wins."""
    chars, lengths, _ = _batch([(w, t) for w in WORDS for t in range(4)])
    cover = PriorCover(chars, lengths, n_tenses=4, variance_exponent=exponent)
    cover.mu, cover.logvar = torch.zeros(2, 4), torch.zeros(2, 4)
    cover.mu[1, 0], cover.logvar[1, 0] = 2.0, torch.log(torch.tensor(4.0))
    point = torch.zeros(1, 4)
    point[0, 0] = 1.1
    assert cover.nearest(point).tolist() == [owner]
    with pytest.raises(ValueError, match="variance_exponent"):
        PriorCover(chars, lengths, n_tenses=4, variance_exponent=1.5)


def test_prior_cover_keeps_float32_posteriors_under_bf16_autocast_and_picks_the_exact_densest_verb():
    model = _tiny()
    chars, lengths, _ = _batch([(w, t) for w in WORDS for t in range(4)])
    cover = PriorCover(chars, lengths, n_tenses=4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cover.refresh(model, epoch=1)
    assert cover.mu.dtype == cover.logvar.dtype == torch.float32
    # Against the log-density computed term by term in float64, over many close posteriors.
    generator = torch.Generator().manual_seed(0)
    cover.mu = torch.randn(500, 4, generator=generator)
    cover.logvar = torch.randn(500, 4, generator=generator) * 0.5
    z = torch.randn(200, 4, generator=generator)
    exact = ((z.double().unsqueeze(1) - cover.mu.double()).pow(2) / cover.logvar.double().exp()
             + cover.logvar.double()).sum(dim=2).argmin(dim=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert cover.nearest(z).tolist() == exact.tolist()


def test_prior_cover_loss_trains_the_noise_path_of_the_decoder_only():
    torch.manual_seed(0)
    model = _tiny()
    chars, lengths, _ = _batch([(w, t) for w in WORDS for t in range(4)])
    cover = PriorCover(chars, lengths, n_tenses=4)
    loss = cover.loss(model, 8, epoch=1)
    assert cover.epoch == 1 and loss.item() > 0
    loss.backward()
    assert model.decoder.weight_ih_l0.grad.abs().sum() > 0
    # z is drawn from N(0, I), not encoded, and no source is attended: no gradient reaches the encoder.
    assert model.encoder.weight_ih_l0.grad is None and model.attention.key.weight.grad is None
    before = cover.mu.clone()
    cover.loss(model, 8, epoch=1)
    assert torch.equal(before, cover.mu)  # refreshed once per epoch, not per batch


def test_prior_cover_refresh_reads_one_form_of_each_verb_turning_with_the_epoch():
    model = _tiny().eval()
    chars, lengths, _ = _batch([(w, t) for w in WORDS for t in range(4)])
    cover = PriorCover(chars, lengths, n_tenses=4)
    for epoch in (1, 2, 6):
        cover.refresh(model, epoch)
        own, own_lengths, tense = _batch([(w, epoch % 4) for w in WORDS])
        mu, logvar = model.posterior(own, own_lengths, tense)
        assert torch.allclose(cover.mu, mu, atol=1e-6) and torch.allclose(cover.logvar, logvar, atol=1e-6)
