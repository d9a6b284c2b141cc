"""Tokens back to readable text: the inverse of the pipeline's Treebank tokenisation.

The pipeline tokenises with NLTK's Treebank rules, which turn quotes into ````` and ``''`` and split
clitics (``do n't``); joining tokens with spaces leaves those marks in what a reader sees. NLTK's
``TreebankWordDetokenizer`` undoes exactly those rules, so it is used rather than hand-written joins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from nltk.tokenize.treebank import TreebankWordDetokenizer

if TYPE_CHECKING:
    from reviewgen.data.vocab import Vocab

_DETOKENIZER = TreebankWordDetokenizer()


def detokenize(tokens: Sequence[str]) -> str:
    """``tokens`` as one sentence: Treebank quotes back to ``"``, clitics and punctuation re-attached."""
    return _DETOKENIZER.detokenize(list(tokens)).strip()


def decode_text(vocab: Vocab, ids: Iterable[int]) -> str:
    """Word ids as the sentence a reader sees: decoded (specials dropped), then detokenised."""
    return detokenize(vocab.decode(ids))
