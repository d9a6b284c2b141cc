"""English verb-tense dataset built offline from lemminflect's dictionary, ranked with wordfreq.

Each verb is one row of four forms in the order of ``TENSES``: simple present, third person,
present progressive, simple past (``abandon abandons abandoning abandoned``). Verbs are ranked by
commonness, the least frequent of their four forms (a verb is only as familiar as its rarest form), ties
broken by lemma, so the dataset depends on nothing but the installed libraries and the seed.

The training set is the top ``n_train`` verbs plus every reference verb not already among them (so it
can hold up to ``len(REFERENCE)`` more rows than ``n_train``: the reference pairs measure conversion of
verbs the model has seen). The validation and test verbs are the next ``n_valid`` and ``n_test`` verbs of
the ranking after the top ``n_train``, skipping the force-included ones, so all three are disjoint and
of similar commonness. Each held-out verb gives one source/target pair drawn with the seed.
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from reviewgen.config import get
from reviewgen.io import write_text

TENSES = ("sp", "tp", "pg", "p")
# Penn tags of the forms in TENSES order; "sp" is the lemma itself.
_TAGS = ("VB", "VBZ", "VBG", "VBD")
# Auxiliaries are excluded: their forms are irregular per person and they dominate any frequency ranking.
_EXCLUDED = frozenset({"be", "have", "do"})
_WORD = re.compile(r"[a-z]+")
_SECTION = "tense_data"

Row = tuple[str, str, str, str]


class Pair(NamedTuple):
    source: str
    target: str
    source_tense: str
    target_tense: str


def regular_pasts(lemma: str) -> set[str]:
    """The spellings a regular past of ``lemma`` can take: "-d" after "e" (agree, die), "-ied" after a
    consonant and "y" (carry), otherwise "-ed", "-ed" after a doubled consonant (stop, travel) or "-ked"
    (panic). A past outside them is strong: led, fed and fled end in "-ed" yet are not regular."""
    if lemma.endswith("e"):
        return {lemma + "d"}
    if len(lemma) > 1 and lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma[:-1] + "ied"}
    return {lemma + "ed", lemma + lemma[-1] + "ed", lemma + "ked"}


# The fixed conversion pairs every run is scored on.
REFERENCE = (
    Pair("abandon", "abandoned", "sp", "p"),
    Pair("abet", "abetting", "sp", "pg"),
    Pair("begin", "begins", "sp", "tp"),
    Pair("expend", "expends", "sp", "tp"),
    Pair("sent", "sends", "p", "tp"),
    Pair("split", "splitting", "sp", "pg"),
    Pair("flared", "flare", "p", "sp"),
    Pair("functioning", "function", "pg", "sp"),
    Pair("functioning", "functioned", "pg", "p"),
    Pair("healing", "heals", "pg", "tp"),
)


@dataclass(frozen=True)
class TenseData:
    train: list[Row]
    valid: list[Pair]
    test: list[Pair]
    reference: list[Pair]

    def summary(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test),
                "reference": len(self.reference)}


def verb_lemmas() -> list[str]:
    """Every verb lemma in lemminflect's lookup table, sorted."""
    import lemminflect  # lemminflect and wordfreq only where the dataset is built: TENSES is read widely

    resource = Path(lemminflect.__file__).parent / "resources" / "infl_lu.csv.gz"
    with gzip.open(resource, "rt", encoding="utf-8") as handle:
        lemmas = {fields[0] for fields in (line.split(",", 2) for line in handle) if fields[1] == "verb"}
    return sorted(lemmas)


def verb_rows(lemmas: list[str]) -> list[Row]:
    """The four forms of each lemma; verbs lacking a form or with a non a-z form are left out.

    Where the dictionary lists several forms (``lie``: lay/lied) the first, its preferred one, is kept.
    """
    from lemminflect import getAllInflections

    rows = []
    for lemma in lemmas:
        if lemma in _EXCLUDED or not _WORD.fullmatch(lemma):
            continue
        forms = getAllInflections(lemma, upos="VERB")
        if not all(tag in forms for tag in _TAGS[1:]):
            continue
        row = (lemma, *(forms[tag][0] for tag in _TAGS[1:]))
        # Coinciding sp/tp/pg forms are mostly dictionary errors (sting: progressive "sting"); the rare
        # genuine case (rendezvous) is not worth a row whose tense cannot be read from its spelling.
        if all(_WORD.fullmatch(form) for form in row) and len(set(row[:3])) == 3:
            rows.append(row)
    return rows


def rank_rows(rows: list[Row]) -> list[Row]:
    """Most common verbs first: by the frequency of the rarest form, then alphabetically."""
    from wordfreq import word_frequency

    return sorted(rows, key=lambda row: (-min(word_frequency(form, "en") for form in row), row[0]))


def _reference_lemmas(rows: list[Row]) -> list[str]:
    """The verb of each reference pair, found by its two forms; a pair the dictionary disagrees with fails."""
    lemmas = []
    for pair in REFERENCE:
        src, tgt = TENSES.index(pair.source_tense), TENSES.index(pair.target_tense)
        found = [row[0] for row in rows if row[src] == pair.source and row[tgt] == pair.target]
        if len(found) != 1:
            raise ValueError(f"reference pair {pair} matches {len(found)} verbs in lemminflect, expected 1")
        lemmas.append(found[0])
    return lemmas


def _draw_pairs(rows: list[Row], rng: random.Random) -> list[Pair]:
    pairs = []
    for row in rows:
        source, target = rng.sample(range(len(TENSES)), 2)
        pairs.append(Pair(row[source], row[target], TENSES[source], TENSES[target]))
    return pairs


def build_tense_data(cfg: dict) -> TenseData:
    n_train = get(cfg, "n_train", int, _SECTION, minimum=1)
    n_valid = get(cfg, "n_valid", int, _SECTION, minimum=0)
    n_test = get(cfg, "n_test", int, _SECTION, minimum=0)
    seed = get(cfg, "seed", int, _SECTION)

    ranked = rank_rows(verb_rows(verb_lemmas()))
    forced = set(_reference_lemmas(ranked))
    train = ranked[:n_train] + [row for row in ranked[n_train:] if row[0] in forced]
    rest = [row for row in ranked[n_train:] if row[0] not in forced]
    if len(rest) < n_valid + n_test:
        raise ValueError(f"only {len(rest)} verbs left after training, need {n_valid + n_test} held out")
    # One generator per split, so changing n_valid does not change which tenses the test pairs use.
    valid = _draw_pairs(rest[:n_valid], random.Random(f"{seed}:valid"))
    test = _draw_pairs(rest[n_valid:n_valid + n_test], random.Random(f"{seed}:test"))
    return TenseData(train=train, valid=valid, test=test, reference=list(REFERENCE))


def _lines(items) -> str:
    return "".join(" ".join(item) + "\n" for item in items)


def write_tense_data(data: TenseData, out_dir: str | Path) -> None:
    """``train.txt`` (``sp tp pg p`` per line) and ``valid/test/reference.txt``
    (``source target source_tense target_tense`` per line), each written atomically."""
    out = Path(out_dir)
    write_text(out / "train.txt", _lines(data.train))
    for name in ("valid", "test", "reference"):
        write_text(out / f"{name}.txt", _lines(getattr(data, name)))


def _read(path: Path, width: int) -> list[tuple[str, ...]]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = tuple(line.split())
        if len(fields) != width:
            raise ValueError(f"{path}:{number}: expected {width} fields, got {len(fields)}")
        items.append(fields)
    return items


def load_pairs(directory: str | Path, name: str) -> list[Pair]:
    """The pairs of one split file (``valid``, ``test`` or ``reference``), tenses checked."""
    path = Path(directory) / f"{name}.txt"
    items = [Pair(*fields) for fields in _read(path, 4)]
    for pair in items:
        if pair.source_tense not in TENSES or pair.target_tense not in TENSES:
            raise ValueError(f"{path}: unknown tense in {pair}")
    return items


def load_tense_data(directory: str | Path, splits: tuple[str, ...] = ("valid", "test", "reference")) -> TenseData:
    """The training rows and the pair splits named in ``splits`` (the others left empty): a trainer
    loads everything but ``test``, which only its final evaluation reads."""
    directory = Path(directory)
    pairs = {name: load_pairs(directory, name) if name in splits else []
             for name in ("valid", "test", "reference")}
    return TenseData(train=list(_read(directory / "train.txt", 4)), **pairs)
