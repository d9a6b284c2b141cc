"""Sentence VAE (Bowman et al. 2016, "Generating Sentences from a Continuous Space").

A sentence is its token ids followed by ``<eos>``, right-padded with ``<pad>``; its length counts the
``<eos>``. The decoder reads ``<bos>`` + the sentence without its last token.

An RNN decoder is strong enough to model text without z, and early in training the KL term is cheaper
to remove than z is useful, so a plain VAE "collapses" (KL -> 0, every prior sample the same sentence).
Four defences, all on by default and each cheap:
- z sets the decoder's initial state *and* is concatenated to its input at every step, so it cannot be
  forgotten along the sentence;
- word dropout on the decoder inputs (``<unk>`` in place of a share of the previous words) makes the
  decoder need z to know what it is saying;
- KL annealing (``training.schedules.KLAnnealing``) lets z become useful before it is penalised;
- free bits (``models.vae.elbo_loss(free_bits=...)``) leave each latent dimension a floor of KL it is not pushed below;
- ``skip`` (Dieng et al. 2019, Skip-VAE) also feeds z to the output layer, a path from z to every word
  that the recurrent state cannot wash out;
- ``reset_decoder`` serves Li et al. 2019's fix: train as an autoencoder first (KL weight 0), so the
  encoder learns codes worth reading, then give the VAE a fresh decoder that has not yet learnt to do
  without them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from reviewgen.data.tokens import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from reviewgen.models.recurrent import final_state
from reviewgen.models.sampling import autoregress, select_rows
from reviewgen.models.vae import elbo_loss, reparameterize, sequence_nll


def word_dropout(inputs: torch.Tensor, rate: float, unk_id: int = UNK_ID,
                 generator: torch.Generator | None = None,
                 protect: tuple[int, ...] = (PAD_ID, BOS_ID, EOS_ID)) -> torch.Tensor:
    """A copy of the decoder ``inputs`` with each token replaced by ``<unk>`` with probability ``rate``.

    Bowman et al. 2016: a decoder that cannot always see the previous word must rely on z, which keeps
    the latent from collapsing. The ``protect`` ids are structure, not content, and are never replaced.
    The random draw happens on ``generator``'s device, so a CPU generator works for any input device.
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"word dropout rate must lie in [0, 1], got {rate}")
    if rate == 0:
        return inputs.clone()
    device = generator.device if generator is not None else inputs.device
    draw = torch.rand(inputs.shape, generator=generator, device=device).to(inputs.device)
    protected = torch.isin(inputs, torch.tensor(protect, device=inputs.device))
    return inputs.masked_fill((draw < rate) & ~protected, unk_id)


_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class SentenceVAE(nn.Module):
    def __init__(self, vocab_size: int, emb_dim: int = 256, hidden: int = 256, latent: int = 32,
                 cell: str = "gru", word_dropout: float = 0.3, embed_dropout: float = 0.1, skip: bool = False):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
        self.cell, self.hidden, self.latent, self.word_dropout = cell, hidden, latent, word_dropout
        self.skip = skip
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(embed_dropout)
        self.encoder = _CELLS[cell](emb_dim, hidden, batch_first=True, bidirectional=True)
        summary = 2 * hidden * (2 if cell == "lstm" else 1)
        self.to_mu = nn.Linear(summary, latent)
        self.to_logvar = nn.Linear(summary, latent)
        self.to_state = nn.Linear(latent, hidden * (2 if cell == "lstm" else 1))
        self.decoder = _CELLS[cell](emb_dim + latent, hidden, batch_first=True)
        self.out = nn.Linear(hidden + (latent if skip else 0), vocab_size)

    def _logits(self, output: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if self.skip:
            output = torch.cat([output, z.unsqueeze(1).expand(-1, output.size(1), -1)], dim=2)
        return self.out(output)

    def posterior(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)``, each ``[B, latent]``."""
        summary = self.summarize(final_state(self.encoder, self.dropout(self.embed(tokens)), lengths))
        return self.to_mu(summary), self.to_logvar(summary)

    def summarize(self, final) -> torch.Tensor:
        """The encoder's final state (both directions; ``h`` and ``c`` for an LSTM) as one row per sentence."""
        final = torch.cat(final, dim=2) if self.cell == "lstm" else final
        return final.transpose(0, 1).reshape(final.size(1), -1)

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Posterior means ``[B, latent]``."""
        return self.posterior(tokens, lengths)[0]

    def reset_decoder(self) -> list[nn.Parameter]:
        """Re-initialise what reads z (the decoder RNN, the map from z to its first state, the output layer)
        and return their parameters; the encoder and the shared embedding keep what they learnt."""
        modules = (self.decoder, self.to_state, self.out)
        for module in modules:
            module.reset_parameters()
        return [param for module in modules for param in module.parameters()]

    def _start(self, z: torch.Tensor):
        init = self.to_state(z)
        if self.cell == "lstm":
            h, c = init.chunk(2, dim=1)
            return torch.tanh(h).unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous()
        return torch.tanh(init).unsqueeze(0)

    def _step_input(self, ids: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.dropout(self.embed(ids)), z.unsqueeze(1).expand(-1, ids.size(1), -1)], dim=2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, generator: torch.Generator | None = None):
        """``(logits [B, T, vocab], mu, logvar)``; word dropout applies in training mode only."""
        mu, logvar = self.posterior(tokens, lengths)
        z = reparameterize(mu, logvar)
        return self.decode_logits(tokens, z, generator), mu, logvar

    def decode_logits(self, tokens: torch.Tensor, z: torch.Tensor,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """Teacher-forced next-token logits ``[B, T, vocab]`` of ``tokens`` given codes ``z [B, latent]``."""
        inputs = torch.cat([torch.full_like(tokens[:, :1], BOS_ID), tokens[:, :-1]], dim=1)
        if self.training and self.word_dropout > 0:
            inputs = word_dropout(inputs, self.word_dropout, UNK_ID, generator)
        output, _ = self.decoder(self._step_input(inputs, z), self._start(z))
        return self._logits(output, z)

    @torch.no_grad()
    def iw_nll(self, tokens: torch.Tensor, lengths: torch.Tensor, samples: int = 50,
               generator: torch.Generator | None = None, rows: int = 512) -> torch.Tensor:
        """Importance-weighted estimate of ``-log p(x)`` per sentence ``[B]`` (Burda et al. 2016).

        ``log p(x) >= log mean_k p(x|z_k) p(z_k) / q(z_k|x)`` with ``z_k ~ q(z|x)``; the bound tightens
        as ``samples`` grows and with one sample is the ELBO, so it never reads worse than the ELBO.
        The samples of a sentence are decoded side by side, about ``rows`` sequences at a time: one
        decoder pass over many rows costs far less than as many passes over one batch.
        """
        mu, logvar = self.posterior(tokens, lengths)
        std = torch.exp(0.5 * logvar)
        per_pass = max(1, rows // tokens.size(0))
        log_weights = []
        for start in range(0, samples, per_pass):
            k = min(per_pass, samples - start)
            device = generator.device if generator is not None else mu.device
            eps = torch.randn((k, *mu.shape), generator=generator, device=device).to(mu.device)
            z = (mu + std * eps).reshape(-1, mu.size(1))  # sample-major: rows k * B
            repeated = tokens.repeat(k, 1)
            logits = self.decode_logits(repeated, z)
            log_px_z = -sequence_nll(logits, repeated).view(k, -1)
            log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(dim=1).view(k, -1)
            log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(dim=2)
            log_weights.append(log_px_z + log_pz - log_qz)
        return -(torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(samples))

    @staticmethod
    def loss(logits: torch.Tensor, tokens: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             kl_weight: float, free_bits: float = 0.0, per_example: bool = False):
        return elbo_loss(logits, tokens, mu, logvar, kl_weight, free_bits, per_example)

    @torch.no_grad()
    def decode_sample(self, z: torch.Tensor, max_len: int = 40, temperature: float = 1.0,
                      generator: torch.Generator | None = None) -> list[list[int]]:
        """One sequence per row of ``z``, sampled at ``temperature`` (0 = greedy); no ``<bos>``/``<eos>``."""
        state = self._start(z)

        def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
            nonlocal state, z
            state, z = select_rows(state, keep, 1), select_rows(z, keep, 0)
            output, state = self.decoder(self._step_input(previous.unsqueeze(1), z), state)
            return self._logits(output, z).squeeze(1)

        return autoregress(step, z.size(0), max_len, temperature, generator, z.device)

    def decode_greedy(self, z: torch.Tensor, max_len: int = 40) -> list[list[int]]:
        return self.decode_sample(z, max_len, temperature=0.0)

    @staticmethod
    def active_units(mus: torch.Tensor, threshold: float = 0.01) -> int:
        """Latent dimensions whose posterior mean varies across inputs: ``Cov_x(E[z|x]) > threshold``
        (Burda et al. 2016). ``mus`` holds one posterior mean per input, ``[N, latent]``."""
        return int((mus.float().var(dim=0, unbiased=False) > threshold).sum())
