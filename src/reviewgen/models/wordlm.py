"""A word-level LSTM language model conditioned on a vector of track features.

The conditioning vector (say energy, or energy and valence) is appended to every word embedding, so a
300-d embedding and one feature make a 301-d LSTM input. Feeding it at every step, rather than only
into the initial state, keeps the condition from fading over a long review.
"""

from __future__ import annotations

import torch
from torch import nn

from reviewgen.data.tokens import PAD_ID

from .sampling import autoregress, generating, select_rows


class ConditionedWordLM(nn.Module):
    """Embedding ++ features -> LSTM -> linear read-out to next-word logits.

    ``tie_weights`` shares the embedding matrix with the read-out (Press & Wolf, 2017): fewer
    parameters and usually lower perplexity, but it needs ``hidden == emb_dim``.
    ``condition_output`` also adds a learned, feature-dependent bias to every word's logit: a direct path
    from "energy" to word choice, which the LSTM otherwise has to learn to carry through its state.
    ``condition_input`` False keeps the features out of the LSTM, leaving only that bias: a linear effect
    per word cannot memorise a track's exact feature value as an id for its names and titles, which fits
    the training tracks and costs on new ones. ``condition_decay`` shrinks that bias (``condition_penalty``).
    """

    def __init__(
        self,
        vocab_size: int,
        n_features: int,
        emb_dim: int = 300,
        hidden: int = 512,
        layers: int = 1,
        dropout: float = 0.0,
        tie_weights: bool = False,
        condition_output: bool = False,
        condition_input: bool = True,
        condition_decay: float = 0.0,
    ):
        super().__init__()
        if tie_weights and hidden != emb_dim:
            raise ValueError(f"tie_weights needs hidden == emb_dim, got hidden={hidden}, emb_dim={emb_dim}")
        if not (condition_input or condition_output):
            raise ValueError("the features must enter somewhere: condition_input or condition_output")
        self.n_features = n_features
        self.condition_input = condition_input
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(
            emb_dim + (n_features if condition_input else 0), hidden, layers,
            dropout=dropout if layers > 1 else 0.0, batch_first=True,
        )
        self.out = nn.Linear(hidden, vocab_size)
        if tie_weights:
            self.out.weight = self.embed.weight
        self.feature_out = nn.Linear(n_features, vocab_size, bias=False) if condition_output else None
        if self.feature_out is not None:
            # Start as the unconditioned model: a random slope per word is noise the features then have
            # to unlearn, and with one feature the default init gives every word a slope of up to 1.
            nn.init.zeros_(self.feature_out.weight)
        if condition_decay < 0:
            raise ValueError(f"condition_decay must be >= 0, got {condition_decay}")
        self.condition_decay = float(condition_decay)

    def forward(self, tokens: torch.Tensor, features: torch.Tensor, hidden=None):
        """``tokens [B, T]``, ``features [B, F]`` -> ``(logits [B, T, V], (h, c))``."""
        self._check_features(tokens, features)
        logits, hidden = self._logits_before_bias(tokens, features if self.condition_input else None, hidden)
        if self.feature_out is not None:
            logits = logits.float() + self.feature_bias(features)[:, None, :]
        return logits, hidden

    def _check_features(self, tokens: torch.Tensor, features: torch.Tensor) -> None:
        if features.shape != (tokens.shape[0], self.n_features):
            raise ValueError(
                f"features must be [batch={tokens.shape[0]}, n_features={self.n_features}], "
                f"got {list(features.shape)}"
            )

    def _logits_before_bias(self, tokens: torch.Tensor, input_features: torch.Tensor | None, hidden=None):
        """Embedding (++ features, when they enter the LSTM) -> LSTM -> read-out, before the feature bias."""
        words = self.dropout(self.embed(tokens))
        if input_features is not None:
            condition = input_features.to(words.dtype)[:, None, :].expand(-1, tokens.shape[1], -1)
            words = torch.cat([words, condition], dim=-1)
        outputs, hidden = self.lstm(words, hidden)
        return self.out(self.dropout(outputs)), hidden

    def unconditioned_logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, T, V]`` float32 logits before the feature bias, for a model whose features enter only that bias.

        ``forward``'s logits are then these plus ``feature_bias(features)``: an evaluation under many feature
        vectors (the marginal baseline) runs the LSTM and the read-out once, not once per vector.
        """
        if self.condition_input:
            raise ValueError("the features enter the LSTM (condition_input), so every logit depends on them")
        return self._logits_before_bias(tokens, None)[0].float()

    def feature_bias(self, features: torch.Tensor) -> torch.Tensor:
        """``[B, F] -> [B, V]``: each word's feature-dependent logit offset, once per sequence.

        In float32 even under bf16 autocast: the offsets are a few hundredths of a nat, below bf16's
        resolution at the size of a logit, so rounding them with the logits would erase the conditioning.
        Once per row rather than per position, since a sequence's features do not change along it.
        """
        with torch.autocast(features.device.type, enabled=False):
            return nn.functional.linear(features.float(), self.feature_out.weight.float())

    def condition_penalty(self) -> torch.Tensor:
        """``condition_decay * ||feature read-out||^2``, to add to the per-token training loss.

        A Gaussian prior on each word's slope: in the synthetic corpus only a few dozen planted words depend
        on a feature,
        and a free slope for each of the thousands of others fits noise in the training tracks that
        costs more on new tracks than the planted signal gains. Words with many occurrences overcome the
        prior; rare ones stay near zero.
        """
        if self.feature_out is None or self.condition_decay == 0:
            return torch.zeros((), device=self.out.weight.device)
        return self.condition_decay * self.feature_out.weight.pow(2).sum()

    @generating
    def sample(
        self,
        features: torch.Tensor,
        max_len: int,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> list[list[int]]:
        """One sequence per row of ``features [N, F]``, sampled together, each to ``<eos>`` or ``max_len``.

        ``temperature`` 0 is greedy; ``generator`` (for reproducible draws) must be on the model's device.
        """
        device = self.out.weight.device
        features = features.to(device)
        hidden = None

        def step(previous: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
            nonlocal hidden, features
            hidden, features = select_rows(hidden, keep, 1), select_rows(features, keep, 0)
            logits, hidden = self(previous[:, None], features, hidden)
            return logits[:, -1]

        return autoregress(step, len(features), max_len, temperature, generator, device)
