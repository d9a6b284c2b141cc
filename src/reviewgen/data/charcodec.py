"""Words as character ids for the tense model: ``ids + <eos>``, right-padded, specials 0..3 first.

Kept apart from the word/char vocabularies of the review corpus: the tense data is its own small
alphabet, and the model file carries the codec's ``itos`` so conversion needs nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from reviewgen.data.tokens import EOS_ID, PAD_ID, SPECIALS, UNK_ID

if TYPE_CHECKING:
    import torch


class CharCodec:
    def __init__(self, itos: Sequence[str]):
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a char codec starts with the specials {SPECIALS}, got {list(itos[:len(SPECIALS)])}")
        self.itos = list(itos)
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}

    @classmethod
    def from_words(cls, words: Iterable[str]) -> CharCodec:
        return cls([*SPECIALS, *sorted({ch for word in words for ch in word})])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, word: str) -> list[int]:
        """The word's character ids followed by ``<eos>``; an unknown character becomes ``<unk>``."""
        return [self.stoi.get(ch, UNK_ID) for ch in word] + [EOS_ID]

    def batch(self, words: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ids [B, T], lengths [B])`` with ``<eos>`` counted in the lengths."""
        import torch  # here only: the ONNX runtime of ``reviewgen tense`` encodes words without torch

        encoded = [self.encode(w) for w in words]
        lengths = torch.tensor([len(e) for e in encoded], dtype=torch.long)
        padded = torch.full((len(words), int(lengths.max()) if words else 0), PAD_ID, dtype=torch.long)
        for row, ids in enumerate(encoded):
            padded[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return padded, lengths

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.itos[i] for i in ids if i >= len(SPECIALS) or i == UNK_ID)
