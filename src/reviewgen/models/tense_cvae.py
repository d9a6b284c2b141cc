"""Conditional VAE over the characters of an English verb, conditioned on its tense, with a copy path.

A word is its character ids followed by ``<eos>``, right-padded with ``<pad>``; its length counts the
``<eos>``. The tense (0..n_tenses-1) is embedded in ``cond_dim`` dimensions.

Two paths serve the two jobs. Conversion of an unseen verb must copy its stem letter by letter: the
decoder attends to the encoder's character states (``models.attention``). Generation from noise has no
source word, so there z alone must carry the lemma: training hides the attention path for a random
share of rows (``hide_attention``), and decoding from the prior always hides it. The decoder is told
whether it may attend, so one set of weights serves both.

The encoder reads the word with the source tense in its initial hidden state; the decoder sees
``[z, target tense]`` at every step. Decoding one z in the four tenses gives the four forms of one verb,
which is what the Gaussian score asks of z ~ N(0, I); the training loop trains exactly that.

``fit_aggregate_prior`` stores the training posteriors as a second, optional prior
``1/N sum_n q(z | x_n)``; it is a look-up of training codes, never the Gaussian score's N(0, I).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from reviewgen.data.tokens import BOS_ID, PAD_ID
from reviewgen.models.attention import Attention
from reviewgen.models.sampling import autoregress, select_rows
from reviewgen.models.vae import elbo_loss, reparameterize, sequence_nll

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class TenseCVAE(nn.Module):
    def __init__(self, n_chars: int, hidden: int = 128, latent: int = 16, cond_dim: int = 8,
                 n_tenses: int = 4, cell: str = "lstm", emb_dim: int = 64, bidirectional: bool = True,
                 dropout: float = 0.0, attention: bool = True):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
        if cond_dim > hidden:
            raise ValueError(f"cond_dim ({cond_dim}) cannot exceed hidden ({hidden})")
        self.cell, self.hidden, self.latent, self.cond_dim = cell, hidden, latent, cond_dim
        self.n_tenses, self.use_attention = n_tenses, attention
        self.directions = 2 if bidirectional else 1
        self.embed = nn.Embedding(n_chars, emb_dim, padding_idx=PAD_ID)
        self.tense = nn.Embedding(n_tenses, cond_dim)
        self.dropout = nn.Dropout(dropout)
        self.encoder = _CELLS[cell](emb_dim, hidden, batch_first=True, bidirectional=bidirectional)
        summary = hidden * self.directions * (2 if cell == "lstm" else 1)
        self.to_mu = nn.Linear(summary, latent)
        self.to_logvar = nn.Linear(summary, latent)
        context = latent + cond_dim
        self.to_state = nn.Linear(context, hidden * (2 if cell == "lstm" else 1))
        self.decoder = _CELLS[cell](emb_dim + context, hidden, batch_first=True)
        memory = hidden * self.directions
        self.attention = Attention(hidden, memory)
        # The output sees the decoder state, the attended characters (zeros when hidden), the flag saying
        # whether attention was allowed, and the context again so z reaches every prediction directly.
        self.out = nn.Sequential(nn.Linear(hidden + memory + 1 + context, hidden), nn.Tanh(),
                                 nn.Linear(hidden, n_chars))
        self.register_buffer("prior_mu", torch.zeros(0, latent))
        self.register_buffer("prior_logvar", torch.zeros(0, latent))
        self.register_load_state_dict_pre_hook(_resize_prior)

    # ---- encoder ----------------------------------------------------------------------------------
    def read(self, chars: torch.Tensor, lengths: torch.Tensor, tense: torch.Tensor):
        """``(mu, logvar, memory, mask)``: the posterior ``[B, latent]`` each, the character states
        ``[B, S, hidden * directions]`` and the mask of real (non-pad) source positions ``[B, S]``."""
        packed = pack_padded_sequence(self.dropout(self.embed(chars)), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        output, final = self.encoder(packed, self.encoder_start(tense))
        memory, _ = pad_packed_sequence(output, batch_first=True, total_length=chars.size(1))
        summary = self.summarize(final)
        mask = torch.arange(chars.size(1), device=chars.device).unsqueeze(0) < lengths.to(chars.device).unsqueeze(1)
        return self.to_mu(summary), self.to_logvar(summary), memory, mask

    def encoder_start(self, tense: torch.Tensor):
        """The encoder's initial state: the source tense's embedding in the last ``cond_dim`` units."""
        h0 = torch.cat([self.tense.weight.new_zeros(tense.size(0), self.hidden - self.cond_dim),
                        self.tense(tense)], dim=1)
        h0 = h0.unsqueeze(0).expand(self.directions, -1, -1).contiguous()
        return (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0

    def summarize(self, final) -> torch.Tensor:
        """The encoder's final state(s) of both directions as one ``[B, summary]`` row per word."""
        final = torch.cat(final, dim=2) if self.cell == "lstm" else final
        return final.transpose(0, 1).reshape(final.size(1), -1)

    def posterior(self, chars: torch.Tensor, lengths: torch.Tensor, tense: torch.Tensor):
        """``(mu, logvar)``, each ``[B, latent]``."""
        return self.read(chars, lengths, tense)[:2]

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

    def _predict(self, output: torch.Tensor, context: torch.Tensor, memory, mask, attend):
        """Logits ``[B, T, n_chars]`` from decoder outputs ``[B, T, hidden]``; ``attend [B]`` (bool) says
        which rows may read ``memory``; ``memory`` None means no row may."""
        batch, steps = output.shape[:2]
        if memory is None or not self.use_attention:
            read = output.new_zeros(batch, steps, self.attention.memory_size)
            flag = output.new_zeros(batch, steps, 1)
        else:
            read, _ = self.attention(output, memory, mask)
            flag = attend.to(output.dtype).view(batch, 1, 1).expand(batch, steps, 1)
            read = read * flag
        features = torch.cat([output, read, flag, context.unsqueeze(1).expand(-1, steps, -1)], dim=2)
        return self.out(features)

    def decode(self, z: torch.Tensor, tense: torch.Tensor, target: torch.Tensor, teacher_forcing: float = 1.0,
               generator: torch.Generator | None = None, memory: torch.Tensor | None = None,
               mask: torch.Tensor | None = None, attend: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[B, T, n_chars]`` predicting ``target`` (chars + ``<eos>``) from ``<bos>``.

        With ``teacher_forcing < 1`` each row at each step sees, with that probability, the gold previous
        character, otherwise the decoder's own greedy guess at that position given the gold prefix.
        """
        if attend is None:
            attend = torch.ones(z.size(0), dtype=torch.bool, device=z.device)
        context, state = self._start(z, tense)
        inputs = torch.cat([torch.full_like(target[:, :1], BOS_ID), target[:, :-1]], dim=1)
        if teacher_forcing >= 1:
            output, _ = self.decoder(self._step_input(inputs, context), state)
            return self._predict(output, context, memory, mask, attend)
        # Scheduled sampling in two parallel passes (Mihaylova and Martins 2019) rather than a step loop:
        # a teacher-forced pass without gradients gives the decoder's greedy guess at every position, then
        # each input is the gold previous character with probability ``teacher_forcing``, else that guess.
        with torch.no_grad():
            output, _ = self.decoder(self._step_input(inputs, context), state)
            guesses = self._predict(output, context, memory, mask, attend).argmax(dim=2)
        device = generator.device if generator is not None else z.device
        gold = (torch.rand(inputs.shape, generator=generator, device=device) < teacher_forcing).to(z.device)
        gold[:, 0] = True
        mixed = torch.where(gold, inputs, torch.cat([inputs[:, :1], guesses[:, :-1]], dim=1))
        output, _ = self.decoder(self._step_input(mixed, context), state)
        return self._predict(output, context, memory, mask, attend)

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor, src_tense: torch.Tensor,
                target: torch.Tensor | None = None, tgt_tense: torch.Tensor | None = None,
                teacher_forcing: float = 1.0, generator: torch.Generator | None = None,
                attend: torch.Tensor | None = None):
        """``(logits, mu, logvar)``; the target defaults to the input itself in its own tense.

        ``target``/``tgt_tense`` may hold ``k`` rows per source (``[B * k, T]``, source-major): one z is
        then decoded into each of them, which is how the training trains a tense-invariant z.
        """
        mu, logvar, memory, mask = self.read(chars, lengths, src_tense)
        z = reparameterize(mu, logvar)
        target = chars if target is None else target
        tgt_tense = src_tense if tgt_tense is None else tgt_tense
        k = target.size(0) // chars.size(0)
        if k > 1:
            z, memory, mask = (t.repeat_interleave(k, dim=0) for t in (z, memory, mask))
        return self.decode(z, tgt_tense, target, teacher_forcing, generator, memory, mask, attend), mu, logvar

    @staticmethod
    def loss(logits: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             kl_weight: float, free_bits: float = 0.0):
        """``(loss, weight, sums)``: cross-entropy summed over every decoded word of a source plus the
        weighted KL of its code, per source. ``free_bits`` (nats per dimension, on the batch mean) stops
        the KL penalty of a dimension below that floor; the reported ``kl`` is the true KL."""
        return elbo_loss(logits, target, mu, logvar, kl_weight, free_bits)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, tenses: torch.Tensor, max_len: int = 20,
                 memory: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> list[list[int]]:
        """Greedy decoding of each row of ``z`` in its tense; ids without ``<bos>``/``<eos>``. Without
        ``memory`` (decoding from noise) the attention path is hidden, as in training."""
        context, state = self._start(z, tenses)
        attend = torch.ones(z.size(0), dtype=torch.bool, device=z.device)

        def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
            nonlocal state, context, memory, mask, attend
            state, context = select_rows(state, keep, 1), select_rows(context, keep, 0)
            if memory is not None:
                memory, mask, attend = (select_rows(t, keep, 0) for t in (memory, mask, attend))
            output, state = self.decoder(self._step_input(previous.unsqueeze(1), context), state)
            return self._predict(output, context, memory, mask, attend).squeeze(1)

        return autoregress(step, z.size(0), max_len, 0.0, None, z.device)

    @torch.no_grad()
    def convert(self, chars: torch.Tensor, src_tense: torch.Tensor, tgt_tense: torch.Tensor,
                max_len: int = 20) -> list[list[int]]:
        """Each word rewritten in its target tense, greedily from the posterior mean, attending to it."""
        lengths = (chars != PAD_ID).sum(dim=1)
        mu, _, memory, mask = self.read(chars, lengths, src_tense)
        return self.generate(mu, tgt_tense, max_len, memory, mask)

    # ---- prior ------------------------------------------------------------------------------------
    @torch.no_grad()
    def fit_aggregate_prior(self, mu: torch.Tensor, logvar: torch.Tensor) -> None:
        """Use ``1/N sum_n N(mu_n, exp(logvar_n))`` (the training posteriors) as the optional second prior."""
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


class PriorCover:
    """A decoding loss on z ~ N(0, I): each draw is decoded, attention hidden, into the four forms of the
    training verb whose posterior is densest at that z (``variance_exponent`` 1).

    With a code far above ln(number of verbs) nats the posteriors are narrow and most draws land far
    from all of them, where the broadest few posteriors are the densest: they take most of the prior,
    and the generator collapses onto a few verbs. ``variance_exponent`` below 1 compares the posteriors
    as if each variance were raised to that power, narrowing the gap between broad and narrow ones; at
    0 a draw goes to the nearest posterior mean, which gives every verb a cell, more cells than the
    decoder learns in a short training. In between is a trade-off of hits against distinct verbs.

    The ELBO trains the noise path only at posterior samples; where two verbs' posteriors overlap it
    learns a blend, and the four tenses, decoded independently, may then pick different verbs. This
    loss makes every region of the prior decode to one training verb in all tenses, which is what
    generation from noise asks. The posteriors are recomputed from the model when a new epoch starts,
    so a resumed run recomputes exactly what it would have had. Each refresh reads one form of every
    verb, the tense turning with the epoch: z is trained to be the same for the four forms, and
    encoding all four every epoch was a large share of an epoch's time in the profile.
    """

    def __init__(self, chars: torch.Tensor, lengths: torch.Tensor, n_tenses: int, variance_exponent: float = 1.0):
        """``chars``/``lengths``: every training word (chars + ``<eos>``, right-padded), verb-major
        (``n_verbs * n_tenses`` rows, in tense order); they are also the decoder's targets."""
        if not 0.0 <= variance_exponent <= 1.0:
            raise ValueError(f"variance_exponent must lie in [0, 1], got {variance_exponent}")
        self.chars, self.lengths, self.n_tenses = chars, lengths, n_tenses
        self.variance_exponent = variance_exponent
        self.tenses = torch.arange(n_tenses).repeat(len(chars) // n_tenses)
        self.mu = self.logvar = None
        self.epoch: int | None = None

    @torch.no_grad()
    def refresh(self, model: TenseCVAE, epoch: int) -> None:
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        rows = torch.arange(epoch % self.n_tenses, len(self.chars), self.n_tenses)
        chars = self.chars[rows]
        chars = chars[:, :int(self.lengths[rows].max())]
        mu, logvar = model.posterior(chars.to(device), self.lengths[rows].to(device), self.tenses[rows].to(device))
        # Kept in float32 whatever the autocast: under bf16 the means would keep three significant digits.
        self.mu, self.logvar = mu.float(), logvar.float()
        model.train(was_training)
        self.epoch = epoch

    @torch.no_grad()
    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """For each row of ``z``, the verb whose posterior density is highest there (each variance raised
        to ``variance_exponent``).

        The Mahalanobis term expanded into two matrix products, ``sum (z - mu)^2 / var = z^2 . 1/var
        - 2 z . mu/var + sum mu^2/var``, rather than a ``[draws, verbs, latent]`` difference tensor; in
        float32 even under bf16 autocast, where an argmin over thousands of verbs would be rounding noise."""
        with torch.autocast(z.device.type, enabled=False):
            z, mu, logvar = z.float(), self.mu.float(), self.logvar.float() * self.variance_exponent
            precision = torch.exp(-logvar)
            constant = (mu.pow(2) * precision + logvar).sum(dim=1)
            distance = z.pow(2) @ precision.T - 2 * z @ (mu * precision).T + constant
        return distance.argmin(dim=1)

    def loss(self, model: TenseCVAE, n: int, epoch: int, teacher_forcing: float = 1.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Summed cross-entropy of ``n`` draws from N(0, I), each decoded in every tense."""
        if self.epoch != epoch:
            self.refresh(model, epoch)
        device = self.mu.device
        z = torch.randn(n, self.mu.size(1), device=device)
        verbs = self.nearest(z)
        rows = (verbs.unsqueeze(1) * self.n_tenses + torch.arange(self.n_tenses, device=device)).reshape(-1)
        target = self.chars.to(device)[rows]
        target = target[:, :int((target != PAD_ID).sum(dim=1).max())]
        tenses = torch.arange(self.n_tenses, device=device).repeat(n)
        logits = model.decode(z.repeat_interleave(self.n_tenses, dim=0), tenses, target, teacher_forcing, generator)
        return sequence_nll(logits, target, total=True)


def _resize_prior(module: TenseCVAE, state_dict: dict, prefix: str, *_) -> None:
    # The prior buffers have a data-dependent size: take the checkpoint's before copying into them.
    for name in ("prior_mu", "prior_logvar"):
        if prefix + name in state_dict:
            setattr(module, name, torch.empty_like(state_dict[prefix + name]))
