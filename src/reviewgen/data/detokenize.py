"""Tokens back to readable text: the inverse of the pipeline's Treebank tokenisation.

The pipeline tokenises with NLTK's Treebank rules, which turn quotes into ````` and ``''`` and split
clitics (``do n't``); joining tokens with spaces leaves those marks in what a reader sees. NLTK's
``TreebankWordDetokenizer`` undoes exactly those rules, so it is used rather than hand-written joins.
"""

from __future__ import annotations

from collections.abc import Sequence

from nltk.tokenize.treebank import TreebankWordDetokenizer

_DETOKENIZER = TreebankWordDetokenizer()


def detokenize(tokens: Sequence[str]) -> str:
    """``tokens`` as one sentence: Treebank quotes back to ``"``, clitics and punctuation re-attached."""
    return _DETOKENIZER.detokenize(list(tokens)).strip()
