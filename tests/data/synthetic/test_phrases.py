"""Phrase helpers of the synthetic grammar: inflection, articles and the planted-word probability."""

from __future__ import annotations

import random

import pytest

from reviewgen.data.synthetic.lexicon import (
    NEUTRAL,
    PLANTED,
    SOUND_VERBS_INTRANSITIVE,
    SOUND_VERBS_TRANSITIVE,
    planted_words,
)
from reviewgen.data.synthetic.phrases import (
    FLOOR,
    Describer,
    Phrases,
    agree,
    article,
    noun_plural,
    p_high,
    possessive,
    verb_form,
)


@pytest.mark.parametrize(
    ("lemma", "plural", "expected"),
    [("carry", False, "carries"), ("carry", True, "carry"), ("be", False, "is"), ("be", True, "are"),
     ("cut through", False, "cuts through"), ("have", False, "has"), ("push", False, "pushes")],
)
def test_agree_inflects_for_the_subject(lemma, plural, expected):
    assert agree(lemma, plural) == expected


def test_verb_forms_cover_irregular_and_phrasal_verbs():
    assert verb_form("build", "VBD") == "built"
    assert verb_form("spill over", "VBG") == "spilling over"


def test_noun_plural_keeps_case_and_handles_irregulars():
    assert noun_plural("Wolf") == "Wolves"
    assert noun_plural("drum machine") == "drum machines"
    assert noun_plural("Diary") == "Diaries"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("euphoric", "a"), ("upbeat", "an"), ("8.5", "an"), ("7", "a"), ("hushed", "a"), ("unusual", "an"),
     ("one-take", "a"), ('"Ember"', "an")],
)
def test_article_follows_the_sound(word, expected):
    assert article(word) == expected


def test_possessive_of_names_ending_in_s():
    assert possessive("The Paper Lanterns") == "The Paper Lanterns'"
    assert possessive("Kavelo") == "Kavelo's"


def test_p_high_is_smooth_monotone_and_never_certain():
    values = [p_high(x / 20) for x in range(21)]
    assert values == sorted(values)
    assert FLOOR < values[0] < 0.2 and 0.8 < values[-1] < 1 - FLOOR
    assert p_high(0.5) == pytest.approx(0.5)


def test_lexicon_groups_are_disjoint_and_a_few_dozen_strong():
    words = [w for kinds in PLANTED.values() for ws in kinds.values() for w in ws]
    assert len(words) == len(set(words)) == len(planted_words())
    assert not set(words) & {w for ws in NEUTRAL.values() for w in ws}
    for kinds in PLANTED.values():
        assert sum(len(ws) for ws in kinds.values()) >= 30


def test_describer_tracks_the_features():
    def share_high(energy: float) -> float:
        d = Describer(random.Random(0), energy, 0.5)
        draws = [d.adj() for _ in range(4000)]
        high = sum(w in PLANTED["energy_high"]["adjectives"] for w in draws)
        low = sum(w in PLANTED["energy_low"]["adjectives"] for w in draws)
        return high / (high + low)

    assert share_high(0.0) < 0.25 < 0.75 < share_high(1.0)


@pytest.mark.parametrize("plural", [True, False])
def test_relative_clauses_agree_with_their_noun(plural):
    lemmas = SOUND_VERBS_INTRANSITIVE + SOUND_VERBS_TRANSITIVE
    expected = {agree(lemma, plural).split()[0] for lemma in lemmas}
    ph = Phrases(random.Random(3), Describer(random.Random(4), 0.5, 0.5))
    checked = 0
    for _ in range(400):
        phrase, is_plural = ph.np(plural=plural)
        assert is_plural is plural
        if not plural:
            assert phrase.split()[0] in ("a", "an", "the")
        for marker in (" that ", " which "):
            if marker in phrase:
                assert phrase.split(marker)[1].split()[0] in expected, phrase
                checked += 1
    assert checked > 50
