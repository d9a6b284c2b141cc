"""Conditional VAE over the characters of an English verb, conditioned on its tense.

A word is its character ids followed by ``<eos>``, right-padded with ``<pad>``; its length counts the
``<eos>``. The tense (0..n_tenses-1) is embedded in ``cond_dim`` dimensions. The encoder reads the word
with the source tense in its initial hidden state; the decoder starts from ``[z, target tense]`` and sees
both again at every step, so the target tense never has to survive inside the recurrent state.

Trained cross-tense (input one tense of a verb, target another), z has no use for the tense: the
condition supplies it, and z is left to carry the *lemma*. Decoding one z in the four tenses then gives
the four forms of one verb, which is what the Gaussian score asks of prior samples.

Generation maps ``epsilon ~ N(0, I)`` through the model's prior: the standard normal itself, or, once
``fit_aggregate_prior`` has been given the training posteriors, the aggregate posterior
``1/N sum_n q(z | x_n)`` (``z = mu_k + sigma_k * epsilon`` for a uniform k). A KL weight well below 1
keeps z precise enough to spell unseen verbs but leaves holes in N(0, I) that decode to non-words; the
aggregate posterior is the distribution the decoder was actually trained on.
"""

from __future__ import annotations

import torch
from torch import nn

from reviewgen.models.recurrent import final_state
from reviewgen.models.sampling import BOS_ID, PAD_ID, autoregress, select_rows
from reviewgen.models.sentence_vae import elbo_loss

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class TenseCVAE(nn.Module):
    def __init__(self, n_chars: int, hidden: int = 256, latent: int = 32, cond_dim: int = 8,
                 n_tenses: int = 4, cell: str = "lstm", emb_dim: int = 256, bidirectional: bool = True,
                 dropout: float = 0.0):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
        if cond_dim > hidden:
            raise ValueError(f"cond_dim ({cond_dim}) cannot exceed hidden ({hidden})")
        self.cell, self.hidden, self.latent, self.cond_dim = cell, hidden, latent, cond_dim
        self.n_tenses = n_tenses
        self.directions = 2 if bidirectional else 1
        self.embed = nn.Embedding(n_chars, emb_dim, padding_idx=PAD_ID)
        self.tense = nn.Embedding(n_tenses, cond_dim)
        self.dropout = nn.Dropout(dropout)
        # Read from both ends: the ending decides the inflection (doubling, -ies), while the start of an
        # unseen verb is what a one-way encoder forgets first and the decoder then misspells.
        self.encoder = _CELLS[cell](emb_dim, hidden, batch_first=True, bidirectional=bidirectional)
        # An LSTM's cell state holds much of the spelling, so both h and c feed the posterior.
        summary = hidden * self.directions * (2 if cell == "lstm" else 1)
        self.to_mu = nn.Linear(summary, latent)
        self.to_logvar = nn.Linear(summary, latent)
        context = latent + cond_dim
        self.to_state = nn.Linear(context, hidden * (2 if cell == "lstm" else 1))
        self.decoder = _CELLS[cell](emb_dim + context, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_chars)
        # The aggregate posterior used as the generation prior; empty means N(0, I).
        self.register_buffer("prior_mu", torch.zeros(0, latent))
        self.register_buffer("prior_logvar", torch.zeros(0, latent))
        self.register_load_state_dict_pre_hook(_resize_prior)

    # ---- encoder ----------------------------------------------------------------------------------
    def posterior(self, chars: torch.Tensor, lengths: torch.Tensor, tense: torch.Tensor):
        """``(mu, logvar)``, each ``[B, latent]``."""
        batch = chars.size(0)
        # The condition fills the last cond_dim units of the initial hidden state, the rest start at 0.
        h0 = torch.cat([chars.new_zeros(batch, self.hidden - self.cond_dim, dtype=torch.float),
                        self.tense(tense)], dim=1)
        h0 = h0.unsqueeze(0).expand(self.directions, -1, -1).contiguous()
        state = (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0
        final = final_state(self.encoder, self.dropout(self.embed(chars)), lengths, state)
        final = torch.cat(final, dim=2) if self.cell == "lstm" else final
        final = final.transpose(0, 1).reshape(batch, -1)
        return self.to_mu(final), self.to_logvar(final)

    def encode(self, chars: torch.Tensor, lengths: torch.Tensor, tense: torch.Tensor) -> torch.Tensor:
        """Posterior means ``[B, latent]``."""
        return self.posterior(chars, lengths, tense)[0]

    # ---- decoder ----------------------------------------------------------------------------------
    def _start(self, z: torch.Tensor, tense: torch.Tensor):
        context = torch.cat([z, self.tense(tense)], dim=1)
        init = self.to_state(context)
        if self.cell == "lstm":
            h, c = init.chunk(2, dim=1)
            return context, (torch.tanh(h).unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous())
        return context, torch.tanh(init).unsqueeze(0)

    def _step_input(self, ids: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.dropout(self.embed(ids)), context.unsqueeze(1).expand(-1, ids.size(1), -1)], 2)

    def decode(self, z: torch.Tensor, tense: torch.Tensor, target: torch.Tensor, teacher_forcing: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Logits ``[B, T, n_chars]`` predicting ``target`` (chars + ``<eos>``) from ``<bos>``.

        With ``teacher_forcing < 1`` each row at each step sees, with that probability, the gold previous
        character, otherwise the decoder's own greedy guess (a step-by-step loop, so slower).
        """
        context, state = self._start(z, tense)
        inputs = torch.cat([torch.full_like(target[:, :1], BOS_ID), target[:, :-1]], dim=1)
        if teacher_forcing >= 1:
            output, _ = self.decoder(self._step_input(inputs, context), state)
            return self.out(output)
        device = generator.device if generator is not None else z.device
        gold = (torch.rand(inputs.shape, generator=generator, device=device) < teacher_forcing).to(z.device)
        logits, previous = [], inputs[:, :1]
        for t in range(inputs.size(1)):
            step_in = torch.where(gold[:, t:t + 1], inputs[:, t:t + 1], previous) if t else previous
            output, state = self.decoder(self._step_input(step_in, context), state)
            logits.append(self.out(output))
            previous = logits[-1].argmax(dim=2)
        return torch.cat(logits, dim=1)

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor, src_tense: torch.Tensor,
                target: torch.Tensor | None = None, tgt_tense: torch.Tensor | None = None,
                teacher_forcing: float = 1.0, generator: torch.Generator | None = None):
        """``(logits, mu, logvar)``; the target defaults to the input itself in its own tense."""
        mu, logvar = self.posterior(chars, lengths, src_tense)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        target = chars if target is None else target
        tgt_tense = src_tense if tgt_tense is None else tgt_tense
        return self.decode(z, tgt_tense, target, teacher_forcing, generator), mu, logvar

    @staticmethod
    def loss(logits: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             kl_weight: float, free_bits: float = 0.0):
        """The negative ELBO per word, cross-entropy summed over its characters (see ``elbo_loss``)."""
        return elbo_loss(logits, target, mu, logvar, kl_weight, free_bits)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, tenses: torch.Tensor, max_len: int = 20) -> list[list[int]]:
        """Greedy decoding of each row of ``z`` in its tense; ids without ``<bos>``/``<eos>``."""
        context, state = self._start(z, tenses)

        def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
            nonlocal state, context
            state, context = select_rows(state, keep, 1), select_rows(context, keep, 0)
            output, state = self.decoder(self._step_input(previous.unsqueeze(1), context), state)
            return self.out(output.squeeze(1))

        return autoregress(step, z.size(0), max_len, 0.0, None, z.device)

    @torch.no_grad()
    def convert(self, chars: torch.Tensor, src_tense: torch.Tensor, tgt_tense: torch.Tensor,
                max_len: int = 20) -> list[list[int]]:
        """Each word rewritten in its target tense, decoded greedily from the posterior mean."""
        lengths = (chars != PAD_ID).sum(dim=1)
        return self.generate(self.encode(chars, lengths, src_tense), tgt_tense, max_len)

    # ---- prior ------------------------------------------------------------------------------------
    @torch.no_grad()
    def fit_aggregate_prior(self, mu: torch.Tensor, logvar: torch.Tensor) -> None:
        """Use ``1/N sum_n N(mu_n, exp(logvar_n))`` (the training posteriors) as the generation prior."""
        self.prior_mu = mu.detach().clone()
        self.prior_logvar = logvar.detach().clone()

    def sample_prior(self, n: int, generator: torch.Generator | None = None,
                     standard: bool = False) -> torch.Tensor:
        """``n`` draws of z from the fitted prior, or from N(0, I) when none is fitted or ``standard``."""
        device = generator.device if generator is not None else self.prior_mu.device
        eps = torch.randn(n, self.latent, generator=generator, device=device).to(self.prior_mu.device)
        if standard or len(self.prior_mu) == 0:
            return eps
        k = torch.randint(len(self.prior_mu), (n,), generator=generator, device=device).to(eps.device)
        return self.prior_mu[k] + torch.exp(0.5 * self.prior_logvar[k]) * eps

    @torch.no_grad()
    def generate_four_tenses(self, n: int, generator: torch.Generator | None = None,
                             max_len: int = 20, standard: bool = False) -> list[tuple[list[int], ...]]:
        """``n`` prior samples, each decoded in every tense: one tuple of ``n_tenses`` id lists per z."""
        z = self.sample_prior(n, generator, standard)
        tenses = [torch.full((n,), t, device=z.device) for t in range(self.n_tenses)]
        forms = [self.generate(z, tense, max_len) for tense in tenses]
        return list(zip(*forms, strict=True))


def _resize_prior(module: TenseCVAE, state_dict: dict, prefix: str, *_) -> None:
    # The prior buffers have a data-dependent size: take the checkpoint's before copying into them.
    for name in ("prior_mu", "prior_logvar"):
        if prefix + name in state_dict:
            setattr(module, name, torch.empty_like(state_dict[prefix + name]))
