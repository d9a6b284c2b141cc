"""What the two VAEs share: the reparameterised draw of z, its KL to the prior, the summed
cross-entropy of decoded sequences, and the ELBO loss.

Both the sentence VAE and the tense CVAE encode to a diagonal Gaussian ``q(z|x) = N(mu, exp(logvar))``
under a standard normal prior, so these pieces are written once here and each model adds its own
encoder and decoder.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reviewgen.data.tokens import PAD_ID


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """One draw ``z = mu + sigma * eps`` with ``eps ~ N(0, I)``, differentiable in ``mu`` and ``logvar``."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` of each example in each latent dimension, ``[B, latent]``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)


def sequence_nll(logits: torch.Tensor, target: torch.Tensor, total: bool = False) -> torch.Tensor:
    """Cross-entropy summed over each sequence's tokens, padding ignored: ``[rows]`` for ``[rows, T]``
    targets, or one scalar over the batch with ``total``. The logits are flattened to 2-D first, because
    cross-entropy over the ``[N, C, T]`` view runs several times slower on the CPU."""
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=PAD_ID,
                          reduction="sum" if total else "none")
    return nll if total else nll.view(target.shape).sum(dim=1)


def elbo_loss(logits: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
              kl_weight: float, free_bits: float = 0.0, per_example: bool = False):
    """``(loss, weight, metric sums)`` for a batch of sequences: the (weighted) negative ELBO per sequence.

    Cross-entropy is summed over a sequence's tokens, not averaged, so ``kl_weight = 1`` is the true
    ELBO whatever the lengths (averaging per token would make every KL weight act ~length times
    stronger). ``free_bits`` (nats per latent dimension, Kingma et al. 2016) stops the KL *penalty* of a
    dimension below that floor, on the batch mean; the reported ``kl`` is always the true KL.
    ``per_example`` applies the floor to each sentence's KL per dimension instead (Li et al. 2019's
    KL thresholding): a batch mean can sit on the floor while single sentences carry no information.
    ``weight`` is the number of encoded sequences (rows of ``mu``), so averages over batches weight them
    fairly; ``target`` may hold several decodings of each code (rows ``[B * k, T]``, code-major).
    """
    batch = mu.size(0)
    nll = sequence_nll(logits, target, total=True)
    kl_each = gaussian_kl(mu, logvar)
    kl_dims = kl_each.sum(dim=0)
    if free_bits <= 0:
        penalty = kl_dims.sum()
    elif per_example:
        penalty = torch.clamp(kl_each, min=free_bits).sum()
    else:
        penalty = torch.clamp(kl_dims / batch, min=free_bits).sum() * batch
    loss = (nll + kl_weight * penalty) / batch
    tokens = int((target != PAD_ID).sum())
    return loss, batch, {"nll": nll.item(), "kl": kl_dims.sum().item(), "tokens": tokens}
