"""Word and character vocabularies, built from the training split only.

Only the train split is counted so that the validation OOV rate is an honest estimate of what the model
meets on unseen reviews. Ids are deterministic: the specials first, then tokens by descending count with
ties broken alphabetically, so the same sentences always give the same ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # building a vocabulary takes a frame; loading one needs no pandas
    import pandas as pd

from reviewgen.config import get
from reviewgen.data.tokens import SPECIALS
from reviewgen.io import read_json, write_json

_SECTION = "vocab"


class Vocab:
    """A fixed token <-> id mapping with ``SPECIALS`` at ids 0..3."""

    def __init__(self, itos: Sequence[str], counts: Sequence[int] | None = None,
                 params: Mapping[str, Any] | None = None):
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}, got {list(itos[:len(SPECIALS)])}")
        if len(set(itos)) != len(itos):
            raise ValueError("a vocabulary must not list a token twice")
        self.itos = list(itos)
        self.stoi = {token: index for index, token in enumerate(self.itos)}
        self.counts = list(counts) if counts is not None else [0] * len(self.itos)
        if len(self.counts) != len(self.itos):
            raise ValueError("counts must be as long as itos")
        self.params = dict(params or {})
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = (self.stoi[s] for s in SPECIALS)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], min_freq: int = 1, max_size: int | None = None) -> Vocab:
        """Tokens seen at least ``min_freq`` times, most frequent first, ties alphabetical.

        ``max_size`` is the size of the whole vocabulary, specials included, so it is the embedding size.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < len(SPECIALS):
            raise ValueError(f"max_size must be >= {len(SPECIALS)} (the specials), got {max_size}")
        kept = sorted(((t, c) for t, c in counts.items() if c >= min_freq and t not in SPECIALS),
                      key=lambda item: (-item[1], item[0]))
        if max_size is not None:
            kept = kept[: max_size - len(SPECIALS)]
        return cls(
            itos=[*SPECIALS, *(t for t, _ in kept)],
            counts=[0] * len(SPECIALS) + [c for _, c in kept],
            params={"min_freq": min_freq, "max_size": max_size},
        )

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.to_json() == other.to_json()

    def encode(self, tokens: Iterable[str], add_bos: bool = False, add_eos: bool = False) -> list[int]:
        unk, stoi = self.unk_id, self.stoi
        ids = [stoi.get(token, unk) for token in tokens]
        return [self.bos_id] * add_bos + ids + [self.eos_id] * add_eos

    def decode(self, ids: Iterable[int], strip_specials: bool = True) -> list[str]:
        """Tokens for ``ids``; with ``strip_specials`` pad, bos and eos are dropped but ``<unk>`` is kept,
        since it stands in for a real token and dropping it would shift the rest."""
        itos = self.itos
        if not strip_specials:
            return [itos[i] for i in ids]
        structural = {self.pad_id, self.bos_id, self.eos_id}
        return [itos[i] for i in ids if i not in structural]

    def spell(self, ids: Iterable[int]) -> str:
        """Character ids as the text they spell (a character vocabulary; specials dropped as in ``decode``)."""
        return "".join(self.decode(ids))

    def to_json(self) -> dict[str, Any]:
        return {"itos": self.itos, "counts": self.counts, "params": self.params}

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        data = read_json(path)
        return cls(data["itos"], data.get("counts"), data.get("params"))


def _coverage(counts: Counter, vocab: Vocab) -> float:
    """Fraction of the counted occurrences that the vocabulary covers (1.0 for nothing counted)."""
    total = sum(counts.values())
    return sum(c for t, c in counts.items() if t in vocab) / total if total else 1.0


def build_vocabs(sentences: pd.DataFrame, cfg: dict) -> tuple[Vocab, Vocab, dict]:
    """Word vocabulary from the ``tokens`` and character vocabulary from the ``text`` of train sentences.

    Returns ``(words, chars, report)``; the report gives the sizes, the share of train tokens and
    characters covered, and the OOV rates on the valid split.
    """
    min_freq = get(cfg, "min_freq", int, _SECTION, minimum=1)
    max_size = get(cfg, "max_size", int, _SECTION, default=None, minimum=len(SPECIALS))
    char_min_freq = get(cfg, "char_min_freq", int, _SECTION, default=1, minimum=1)
    missing = {"split", "tokens", "text"} - set(sentences.columns)
    if missing:
        raise ValueError(f"sentences frame lacks columns {sorted(missing)}")

    train = sentences[sentences["split"] == "train"]
    valid = sentences[sentences["split"] == "valid"]
    if train.empty:
        raise ValueError("no train sentences to build a vocabulary from")
    word_counts = Counter(chain.from_iterable(train["tokens"]))
    char_counts = Counter(chain.from_iterable(train["text"]))

    words = Vocab.from_counts(word_counts, min_freq=min_freq, max_size=max_size)
    chars = Vocab.from_counts(char_counts, min_freq=char_min_freq)

    valid_words = Counter(chain.from_iterable(valid["tokens"]))
    valid_chars = Counter(chain.from_iterable(valid["text"]))
    report = {
        "train_sentences": len(train),
        "valid_sentences": len(valid),
        "words": {
            "size": len(words),
            "train_types": len(word_counts),
            "train_tokens": sum(word_counts.values()),
            "train_coverage": _coverage(word_counts, words),
            "valid_tokens": sum(valid_words.values()),
            "valid_oov_rate": 1.0 - _coverage(valid_words, words),
        },
        "chars": {
            "size": len(chars),
            "train_coverage": _coverage(char_counts, chars),
            "valid_oov_rate": 1.0 - _coverage(valid_chars, chars),
        },
    }
    return words, chars, report
