"""Split reviews into tokenised sentences and assign each review to train, valid or test.

The default splitter is Punkt trained on the corpus itself plus a hand list of abbreviations common in
music writing (feat., vs., No., St., ...): it needs no downloaded NLTK data, and on hand-labelled review
paragraphs it beats both the untrained model and the stock English one (see the offline-data notes).
``punkt_tab`` uses the installed NLTK English model instead, and fails with a clear message when that
data is missing rather than downloading it.

Splits are drawn per track (per review when it has no track id) from a hash of the seed and that key, so
neither a review nor a track ever spans two splits, and adding or reordering reviews never moves the others.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterable

import nltk
import pandas as pd
from nltk.tokenize import TreebankWordTokenizer
from nltk.tokenize.punkt import (
    PunktLanguageVars,
    PunktSentenceTokenizer,
    PunktToken,
    PunktTokenizer,
    PunktTrainer,
)
from tqdm import tqdm

from reviewgen.config import ConfigError, get
from reviewgen.io import get_logger

SPLITTERS = ("trained", "punkt_tab")
TOKENIZERS = ("treebank", "whitespace")
SPLITS = ("train", "valid", "test")
REQUIRED_COLUMNS = ("review_id", "artist", "title", "track_id", "text")
# Stored as Punkt stores them: lower case, without the final period.
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "mt", "vs", "feat", "ft", "vol", "no", "nos", "pt",
    "prod", "approx", "etc", "e.g", "i.e", "cf", "u.s", "u.k", "u.s.a", "l.a", "n.y", "d.c",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
# Reviews often carry headings and track lists without a final stop; a blank line always ends a sentence.
_PARAGRAPH = re.compile(r"\n\s*\n")
# Punkt ends a sentence at every "!" and "?", but song titles carry them mid-sentence ('"Help!" opens
# the record', '"Why?", the closer, ...'). A piece that follows one and starts in lower case or with
# , ; : continues the sentence. (In all-lowercase writing this also joins "great! love it".)
_ENDS_IN_MARK = re.compile(r"""[!?]["'”’)\]]*$""")
_CONTINUES = re.compile(r"""["'”’)\]]*\s*(?:[,;:]|[a-z])""")
_SECTION = "sentences"
log = get_logger(__name__)


# NLTK 3.10 runs every regex through its ReDoS guard (nltk.redos: the third-party `regex` engine under a
# wall-clock timeout), meant for caller-supplied patterns. For NLTK's own fixed patterns it only costs
# time, in splitting and tokenising alike. The classes below recompile the library's
# patterns, unchanged, with the stdlib engine; tests check the output is identical to stock NLTK.
_RE_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE


def _stdlib(pattern) -> re.Pattern:
    return re.compile(pattern.pattern, pattern.flags & _RE_FLAGS)


class _PunktToken(PunktToken):
    _RE_ELLIPSIS = _stdlib(PunktToken._RE_ELLIPSIS)
    _RE_NUMERIC = _stdlib(PunktToken._RE_NUMERIC)
    _RE_INITIAL = _stdlib(PunktToken._RE_INITIAL)
    _RE_ALPHA = _stdlib(PunktToken._RE_ALPHA)


class _PunktVars(PunktLanguageVars):
    re_boundary_realignment = _stdlib(PunktLanguageVars.re_boundary_realignment)

    def __init__(self):
        self._word_re = _stdlib(super()._word_tokenizer_re())
        self._period_re = _stdlib(super().period_context_re())

    def _word_tokenizer_re(self):
        return self._word_re

    def period_context_re(self):
        return self._period_re


# Treebank runs a few dozen substitutions over every sentence, and profiling the split stage showed them
# to be most of its time, although most cannot match a given sentence (no quote, no bracket, no
# "gonna"). Each pattern below is keyed by its source text to strings one of which every match contains;
# a sentence holding none of them skips the substitution, which leaves the output unchanged and saves
# most of the tokenising time (docs/performance.md). A pattern NLTK changes is missing here and simply
# runs unguarded.
_NEEDLES = {
    r"^\"": ('"',), r"(``)": ("``",), r"([ \(\[{<])(\"|\'{2})": ('"', "''"),
    r"([:,])([^\d])": (":", ","), r"([:,])$": (":", ","), r"\.\.\.": ("...",),
    r"[;@#$%&]": tuple(";@#$%&"), r'([^\.])(\.)([\]\)}>"\']*)\s*$': (".",), r"[?!]": ("?", "!"),
    r"([^'])' ": ("' ",), r"[\]\[\(\)\{\}\<\>]": tuple("][(){}<>"), r"--": ("--",),
    r"''": ("''",), r'"': ('"',), r"([^' ])('[sS]|'[mM]|'[dD]|') ": ("'",),
    r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ": ("'",),
    r"(?i)\b(can)(?#X)(not)\b": ("cannot",), r"(?i)\b(d)(?#X)('ye)\b": ("d'ye",),
    r"(?i)\b(gim)(?#X)(me)\b": ("gimme",), r"(?i)\b(gon)(?#X)(na)\b": ("gonna",),
    r"(?i)\b(got)(?#X)(ta)\b": ("gotta",), r"(?i)\b(lem)(?#X)(me)\b": ("lemme",),
    r"(?i)\b(more)(?#X)('n)\b": ("more'n",), r"(?i)\b(wan)(?#X)(na)(?=\s)": ("wanna",),
    r"(?i) ('t)(?#X)(is)\b": (" 'tis",), r"(?i) ('t)(?#X)(was)\b": (" 'twas",),
}


class _Guarded:
    """A compiled pattern whose ``sub`` returns ``text`` untouched when no needle occurs in it."""

    def __init__(self, pattern):
        self.pattern = _stdlib(pattern)
        needles = _NEEDLES.get(pattern.pattern)
        # One C-level search for all needles; a case-insensitive pattern gets a case-insensitive search,
        # which matches every letter the pattern would (re.IGNORECASE also maps "\u0131" to "i").
        self.needle = None if needles is None else re.compile(
            "|".join(map(re.escape, needles)), self.pattern.flags & re.IGNORECASE)

    def sub(self, replacement, text: str) -> str:
        if self.needle is not None and self.needle.search(text) is None:
            return text
        return self.pattern.sub(replacement, text)


def _guarded_rules(rules):
    return [(_Guarded(pattern), replacement) for pattern, replacement in rules]


class _Treebank(TreebankWordTokenizer):
    STARTING_QUOTES = _guarded_rules(TreebankWordTokenizer.STARTING_QUOTES)
    PUNCTUATION = _guarded_rules(TreebankWordTokenizer.PUNCTUATION)
    PARENS_BRACKETS = _guarded_rules([TreebankWordTokenizer.PARENS_BRACKETS])[0]
    DOUBLE_DASHES = _guarded_rules([TreebankWordTokenizer.DOUBLE_DASHES])[0]
    ENDING_QUOTES = _guarded_rules(TreebankWordTokenizer.ENDING_QUOTES)
    CONTRACTIONS2 = [_Guarded(pattern) for pattern in TreebankWordTokenizer.CONTRACTIONS2]
    CONTRACTIONS3 = [_Guarded(pattern) for pattern in TreebankWordTokenizer.CONTRACTIONS3]


def train_punkt(texts: Iterable[str], abbreviations: Iterable[str] = ABBREVIATIONS) -> PunktSentenceTokenizer:
    """Punkt trained on ``texts`` (all collocations considered), with ``abbreviations`` added."""
    abbreviations = set(abbreviations)
    trainer = PunktTrainer(lang_vars=_PunktVars(), token_cls=_PunktToken)
    # The default learns collocations (pairs never split) only after initials and numbers; music writing
    # has many more ("No. 9", "Vol. 2").
    trainer.INCLUDE_ALL_COLLOCS = True
    # Seeded before training, not only added after: otherwise every "Mr." counts as a sentence end while
    # learning, the names that follow ("Jones", "Dre") become frequent sentence starters, and Punkt
    # later splits "Mr. | Jones" on exactly that evidence. The trainer has no public hook for this.
    trainer._params.abbrev_types |= abbreviations
    trainer.train("\n\n".join(texts), finalize=False)
    trainer.finalize_training()
    params = trainer.get_params()
    # Training drops the seeds the corpus also uses as plain words ("no"); the list is meant to win.
    params.abbrev_types |= abbreviations
    return PunktSentenceTokenizer(params, lang_vars=_PunktVars(), token_cls=_PunktToken)


def _punkt_tab_splitter() -> Callable[[str], Iterable[tuple[int, int]]]:
    try:
        model = PunktTokenizer("english")
    except LookupError as err:
        raise ConfigError(
            "sentences.splitter is 'punkt_tab' but the NLTK 'punkt_tab' data is not installed (searched "
            f"{list(nltk.data.path)}). Set 'sentences.splitter: trained', which needs no downloaded data, "
            "or install punkt_tab under a directory in NLTK_DATA."
        ) from err
    return model.span_tokenize


def punkt_sample(texts: list[str], max_chars: int | None, seed: int) -> list[str]:
    """The texts Punkt learns from: all of them, or a seeded random subset of about ``max_chars``.

    Training is the costliest part of splitting a large corpus and grows with its size, while what
    Punkt learns (abbreviations, collocations, sentence starters) settles after a few megabytes. A
    corpus within the budget is used whole, so its splitter does not depend on the seed.
    """
    if max_chars is None or sum(len(t) for t in texts) <= max_chars:
        return texts
    chosen, total = [], 0
    for index in random.Random(seed).sample(range(len(texts)), len(texts)):
        if total >= max_chars:
            break
        chosen.append(index)
        total += len(texts[index])
    return [texts[i] for i in sorted(chosen)]


def make_splitter(kind: str, texts: list[str]) -> Callable[[str], Iterable[tuple[int, int]]]:
    """A function from a paragraph to its sentence spans; ``trained`` learns from ``texts`` once here."""
    if kind == "trained":
        return train_punkt(texts).span_tokenize
    if kind == "punkt_tab":
        return _punkt_tab_splitter()
    raise ConfigError(f"params: 'sentences.splitter' must be one of {list(SPLITTERS)}, got {kind!r}")


def make_tokenizer(kind: str) -> Callable[[str], list[str]]:
    """``treebank``: NLTK's Penn Treebank tokenizer (needs no data). ``whitespace``: ``str.split``."""
    if kind == "treebank":
        return _Treebank().tokenize
    if kind == "whitespace":
        return str.split
    raise ConfigError(f"params: 'sentences.tokenizer' must be one of {list(TOKENIZERS)}, got {kind!r}")


def assign_split(group: object, seed: int, valid_fraction: float, test_fraction: float) -> str:
    """The split of one group of reviews, from a hash of the seed and the group's key alone."""
    digest = hashlib.blake2b(f"{seed}:{group}".encode(), digest_size=8).digest()
    draw = int.from_bytes(digest, "big") / 2**64
    if draw < test_fraction:
        return "test"
    if draw < test_fraction + valid_fraction:
        return "valid"
    return "train"


def split_group(review_id: object, track_id: object) -> str:
    """The key a review is split by: its track when it has one, so reviews of one track share a split.

    Tracks repeat across reviews; split by review, a conditioning feature could act as a track id that
    the test split has already seen. A review without a track id is a group of its own.
    """
    if track_id is None or (isinstance(track_id, float) and track_id != track_id) or str(track_id).strip() == "":
        return f"review:{review_id}"
    return f"track:{track_id}"


def _sentences_of(text: object, spans: Callable[[str], Iterable[tuple[int, int]]]) -> list[str]:
    if not isinstance(text, str):
        return []
    sentences = []
    for paragraph in _PARAGRAPH.split(text):
        merged: list[list[int]] = []
        for start, end in spans(paragraph):
            if merged and _ENDS_IN_MARK.search(paragraph, 0, merged[-1][1]) and _CONTINUES.match(paragraph, start):
                merged[-1][1] = end
            else:
                merged.append([start, end])
        # Line breaks inside a sentence are layout, not content.
        sentences.extend(" ".join(paragraph[start:end].split()) for start, end in merged)
    return [s for s in sentences if s]


def split_reviews(reviews: pd.DataFrame, cfg: dict) -> tuple[pd.DataFrame, dict]:
    """One row per kept sentence, carrying its review's columns (all but ``text``), and a report.

    New columns: ``sentence_id`` (``<review_id>:<position>``), ``position`` (0-based among all the
    review's sentences, counted before length filtering, so ids stay stable when the bounds change),
    ``split``, ``text``, ``tokens`` and ``n_tokens``.
    """
    kind = get(cfg, "splitter", str, _SECTION, default="trained", choices=SPLITTERS)
    tokenizer_kind = get(cfg, "tokenizer", str, _SECTION, default="treebank", choices=TOKENIZERS)
    lowercase = get(cfg, "lowercase", bool, _SECTION, default=True)
    min_tokens = get(cfg, "min_tokens", int, _SECTION, minimum=1)
    max_tokens = get(cfg, "max_tokens", int, _SECTION, minimum=min_tokens)
    valid_fraction = get(cfg, "valid_fraction", float, _SECTION, minimum=0.0, maximum=1.0)
    test_fraction = get(cfg, "test_fraction", float, _SECTION, minimum=0.0, maximum=1.0)
    seed = get(cfg, "seed", int, _SECTION)
    punkt_chars = get(cfg, "punkt_train_chars", int, _SECTION, default=None, minimum=1)
    if valid_fraction + test_fraction >= 1.0:
        raise ConfigError("params: 'sentences.valid_fraction' + 'sentences.test_fraction' must be < 1")
    missing = [c for c in REQUIRED_COLUMNS if c not in reviews.columns]
    if missing:
        raise ValueError(f"reviews frame lacks columns {missing}")

    texts = reviews["text"].tolist()
    review_ids = reviews["review_id"].tolist()
    groups = [split_group(r, t) for r, t in zip(review_ids, reviews["track_id"].tolist(), strict=True)]
    splitter = make_splitter(kind, punkt_sample([t for t in texts if isinstance(t, str)], punkt_chars, seed))
    tokenize = make_tokenizer(tokenizer_kind)

    rows, ids, positions, splits, sentences, tokens = [], [], [], [], [], []
    review_splits = {}
    dropped = {"too_short": 0, "too_long": 0}
    for row, (review_id, group, text) in enumerate(
        tqdm(zip(review_ids, groups, texts, strict=True), total=len(texts), desc="sentences", unit="review",
             disable=None)
    ):
        split = review_splits[review_id] = assign_split(group, seed, valid_fraction, test_fraction)
        for position, sentence in enumerate(_sentences_of(text, splitter)):
            if lowercase:
                sentence = sentence.lower()
            words = tokenize(sentence)
            if len(words) < min_tokens:
                dropped["too_short"] += 1
                continue
            if len(words) > max_tokens:
                dropped["too_long"] += 1
                continue
            rows.append(row)
            ids.append(f"{review_id}:{position}")
            positions.append(position)
            splits.append(split)
            sentences.append(sentence)
            tokens.append(words)

    carried = reviews.drop(columns="text").iloc[rows].reset_index(drop=True)
    made = pd.DataFrame({
        "sentence_id": ids,
        "review_id": carried.pop("review_id"),
        "position": pd.Series(positions, dtype="int64"),
        "split": splits,
        "text": sentences,
        "tokens": tokens,
        "n_tokens": pd.Series([len(t) for t in tokens], dtype="int64"),
    })
    frame = pd.concat([made, carried], axis=1)
    report = _report(reviews, frame, review_splits, dropped, kind, tokenizer_kind)
    log.info("split %d reviews into %d sentences (dropped %s)", len(reviews), len(frame), dropped)
    return frame, report


def _report(reviews: pd.DataFrame, frame: pd.DataFrame, review_splits: dict, dropped: dict[str, int],
            splitter: str, tokenizer: str) -> dict:
    assigned = pd.Series(review_splits).value_counts()
    kept_reviews = frame.groupby("split")["review_id"].nunique()
    kept_sentences = frame["split"].value_counts()
    splits_per_track = frame.dropna(subset=["track_id"]).groupby("track_id")["split"].nunique()
    return {
        "splitter": splitter,
        "tokenizer": tokenizer,
        "reviews_in": len(reviews),
        "reviews_without_sentences": len(review_splits) - frame["review_id"].nunique(),
        "sentences_out": len(frame),
        "split_by": "track_id (review_id where missing)",
        "tracks_in_two_splits": int((splits_per_track > 1).sum()),
        "sentences_dropped": {**dropped, "total": sum(dropped.values())},
        "splits": {
            name: {
                "reviews_assigned": int(assigned.get(name, 0)),
                "reviews": int(kept_reviews.get(name, 0)),
                "sentences": int(kept_sentences.get(name, 0)),
            }
            for name in SPLITS
        },
    }
