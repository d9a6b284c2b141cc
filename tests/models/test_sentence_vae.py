import math

import pytest
import torch

from reviewgen.models.sentence_vae import SentenceVAE, word_dropout
from reviewgen.models.vae import elbo_loss

# Token ids 4..19; each sentence is followed by <eos> (2) and right-padded with <pad> (0).
SENTENCES = [[4, 5, 6, 7], [8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18], [4, 9, 13, 19], [19, 18, 17, 16, 15]]


def _batch(sentences):
    width = max(len(s) for s in sentences) + 1
    tokens = torch.zeros(len(sentences), width, dtype=torch.long)
    for row, sentence in enumerate(sentences):
        tokens[row, :len(sentence) + 1] = torch.tensor([*sentence, 2])
    return tokens, (tokens != 0).sum(dim=1)


def _tiny(cell="gru", **kwargs):
    torch.manual_seed(0)
    return SentenceVAE(vocab_size=20, emb_dim=16, hidden=32, latent=4, cell=cell, **kwargs)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_training_steps_lower_the_loss_and_track_kl(cell):
    torch.set_num_threads(1)
    model = _tiny(cell, word_dropout=0.25)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    tokens, lengths = _batch(SENTENCES)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(30):
        logits, mu, logvar = model(tokens, lengths, generator)
        loss, weight, metrics = model.loss(logits, tokens, mu, logvar, kl_weight=0.5, free_bits=0.1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert logits.shape == (6, tokens.size(1), 20)
    assert weight == 6 and metrics["tokens"] == int(lengths.sum())
    assert metrics["kl"] > 0
    assert losses[-1] < 0.5 * losses[0]


def test_kl_weight_and_free_bits_enter_the_loss_as_documented():
    model = _tiny()
    tokens, lengths = _batch(SENTENCES)
    logits, mu, logvar = model(tokens, lengths)
    reconstruction, _, metrics = model.loss(logits, tokens, mu, logvar, kl_weight=0.0)
    full, _, _ = model.loss(logits, tokens, mu, logvar, kl_weight=1.0)
    assert full.item() == pytest.approx(reconstruction.item() + metrics["kl"] / 6, rel=1e-5)
    assert reconstruction.item() == pytest.approx(metrics["nll"] / 6, rel=1e-5)
    floored, _, _ = model.loss(logits, tokens, mu, logvar, kl_weight=1.0, free_bits=10.0)
    assert floored.item() == pytest.approx(reconstruction.item() + 10.0 * 4, rel=1e-5)


def test_encode_and_decode_shapes_in_batches():
    model = _tiny().eval()
    tokens, lengths = _batch(SENTENCES)
    mus = model.encode(tokens, lengths)
    assert mus.shape == (6, 4)
    greedy = model.decode_greedy(mus, max_len=7)
    assert len(greedy) == 6 and all(len(s) <= 7 for s in greedy)
    assert all(not {0, 1, 2} & set(s) for s in greedy)
    assert model.decode_greedy(mus, max_len=7) == greedy  # greedy is deterministic
    first = model.decode_sample(mus, 7, temperature=1.5, generator=torch.Generator().manual_seed(3))
    again = model.decode_sample(mus, 7, temperature=1.5, generator=torch.Generator().manual_seed(3))
    assert first == again and len(first) == 6


def test_word_dropout_only_in_training_mode():
    model = _tiny(word_dropout=1.0)
    tokens, lengths = _batch(SENTENCES)
    torch.manual_seed(1)
    train_logits = model(tokens, lengths)[0]
    model.eval()
    torch.manual_seed(1)
    eval_logits = model(tokens, lengths)[0]
    # Every input but <bos> is <unk> in training, so position 1 on differs; position 0 sees <bos> in both.
    assert not torch.allclose(train_logits[:, 1:], eval_logits[:, 1:])


def test_active_units_counts_dimensions_that_vary_across_inputs():
    torch.manual_seed(0)
    mus = torch.zeros(500, 5)
    mus[:, 0] = torch.randn(500)            # variance ~1: active
    mus[:, 1] = 0.3 * torch.randn(500)      # variance ~0.09: active
    mus[:, 2] = 0.05 * torch.randn(500)     # variance ~0.0025: inactive
    mus[:, 3] = 4.0                         # constant: inactive however large
    assert SentenceVAE.active_units(mus) == 2
    assert SentenceVAE.active_units(mus, threshold=0.001) == 3


def test_word_dropout_replaces_the_configured_share_and_spares_structure():
    torch.manual_seed(0)
    inputs = torch.randint(4, 100, (200, 50))
    inputs[:, 0], inputs[:, -1], inputs[:, -10:-1] = 1, 2, 0  # <bos> ... <eos>, with padding before it
    out = word_dropout(inputs, 0.3, unk_id=3, generator=torch.Generator().manual_seed(1))
    content = inputs >= 4
    share = (out[content] == 3).float().mean().item()
    assert math.isclose(share, 0.3, abs_tol=0.02)
    assert torch.equal(out[~content], inputs[~content])
    changed = out != inputs
    assert bool((out[changed] == 3).all())


def test_word_dropout_is_reproducible_and_leaves_its_input_alone():
    inputs = torch.randint(4, 50, (8, 12))
    original = inputs.clone()
    first = word_dropout(inputs, 0.5, generator=torch.Generator().manual_seed(7))
    second = word_dropout(inputs, 0.5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(first, second)
    assert torch.equal(inputs, original)
    assert torch.equal(word_dropout(inputs, 0.0), inputs)
    assert bool((word_dropout(inputs, 1.0) == 3).all())


def test_importance_weighted_nll_is_below_the_elbo_and_one_sample_is_the_elbo():
    model = _tiny(skip=True).eval()
    tokens, lengths = _batch(SENTENCES)
    with torch.no_grad():
        mu, logvar = model.posterior(tokens, lengths)
        # The ELBO in expectation: average the reconstruction term over many posterior draws.
        generator = torch.Generator().manual_seed(1)
        nll = torch.zeros(len(SENTENCES))
        draws = 400
        for _ in range(draws):
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator)
            logits = model.decode_logits(tokens, z)
            nll += torch.nn.functional.cross_entropy(logits.transpose(1, 2), tokens, ignore_index=0,
                                                     reduction="none").sum(dim=1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
        neg_elbo = nll / draws + kl
        one = model.iw_nll(tokens, lengths, 1, torch.Generator().manual_seed(2))
        many = model.iw_nll(tokens, lengths, 200, torch.Generator().manual_seed(2))
    # One importance sample is an unbiased draw of the negative ELBO; many give a tighter bound.
    assert one.mean().item() == pytest.approx(neg_elbo.mean().item(), rel=0.1)
    assert (many <= neg_elbo + 1e-3).all()
    assert many.mean() < neg_elbo.mean()
    loss, _, _ = elbo_loss(model.decode_logits(tokens, mu), tokens, mu, logvar, 1.0)
    assert math.isfinite(loss.item())


def test_skip_feeds_z_to_the_output_layer():
    model = _tiny(skip=True).eval()
    tokens, _ = _batch(SENTENCES[:2])
    z = torch.zeros(2, 4)
    base = model.decode_logits(tokens, z)
    with torch.no_grad():
        model.out.weight[:, -4:] += 1.0  # the columns that read z
    shifted = model.decode_logits(tokens, z + 1.0)
    assert model.out.in_features == 32 + 4
    assert not torch.allclose(base, shifted)
    assert len(model.decode_greedy(z, max_len=5)) == 2


def test_reset_decoder_reinitialises_what_reads_z_and_keeps_the_encoder():
    model = _tiny(skip=True)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(1.0)  # stands in for training: every weight away from any fresh draw
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    returned = {id(p) for p in model.reset_decoder()}
    for name, param in model.named_parameters():
        reads_z = name.split(".")[0] in ("decoder", "to_state", "out")
        assert (id(param) in returned) == reads_z, name
        assert torch.equal(param, before[name]) != reads_z, name


def test_iw_nll_is_the_same_estimate_however_many_samples_share_a_decoder_pass():
    torch.manual_seed(0)
    model = SentenceVAE(vocab_size=20, emb_dim=16, hidden=32, latent=8).eval()  # 6 x 8 draws: whole blocks
    tokens, lengths = _batch(SENTENCES)
    one_by_one = model.iw_nll(tokens, lengths, 12, torch.Generator().manual_seed(5), rows=len(SENTENCES))
    side_by_side = model.iw_nll(tokens, lengths, 12, torch.Generator().manual_seed(5), rows=5 * len(SENTENCES))
    assert torch.allclose(one_by_one, side_by_side, atol=1e-4)
