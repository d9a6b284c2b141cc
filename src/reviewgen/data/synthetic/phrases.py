"""Phrase building blocks of the synthetic grammar: inflection, articles, descriptors, noun phrases.

``Describer`` is where the ground truth is planted: every descriptor slot of a review asks it for a
word, and it picks the planted group with a probability that is a smooth (logistic) function of the
track's energy or valence, so the signal is strong on average but every word can occur at any value.
"""

from __future__ import annotations

import math
import random
from functools import cache

from lemminflect import getInflection

from reviewgen.data.synthetic.lexicon import (
    NEUTRAL,
    PLANTED,
    POSITIONS,
    SOUND_NOUNS,
    SOUND_VERBS_INTRANSITIVE,
    SOUND_VERBS_TRANSITIVE,
)

# Share of descriptor slots that go to the energy groups, the valence groups, and the neutral words.
SLOT_SHARES = {"energy": 0.4, "valence": 0.4, "neutral": 0.2}
# P(high group | feature) = FLOOR + (1 - 2 * FLOOR) * sigmoid(SLOPE * (feature - 0.5)): about 0.14 at 0
# and 0.86 at 1, so the effect is strong, yet the floor keeps every planted word in use at both extremes.
SLOPE = 6.0
FLOOR = 0.1
CENTER = 0.5
# Within a group: mostly adjectives, which have the most slots; mass nouns and adverbs have their own.
_KINDS = ("adjectives", "nouns", "adverbs")

_AN_EXCEPTIONS = ("eu", "uni", "use", "one", "ukul")


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def p_high(feature: float) -> float:
    """Probability that a slot of a feature's groups takes the _high group rather than the _low one."""
    return FLOOR + (1.0 - 2.0 * FLOOR) * sigmoid(SLOPE * (feature - CENTER))


@cache
def verb_form(lemma: str, tag: str) -> str:
    """Inflect a verb (a phrasal verb inflects its first word) with a Penn tag: VBZ, VBD, VBG, VBN."""
    head, _, rest = lemma.partition(" ")
    forms = getInflection(head, tag)
    word = forms[0] if forms else head
    return f"{word} {rest}" if rest else word


def agree(lemma: str, plural: bool) -> str:
    """Present tense of ``lemma`` agreeing with a singular or plural subject."""
    if lemma == "be":
        return "are" if plural else "is"
    return lemma if plural else verb_form(lemma, "VBZ")


def was(plural: bool) -> str:
    return "were" if plural else "was"


@cache
def noun_plural(noun: str) -> str:
    """Plural of the last word of a (possibly multi-word) noun."""
    head, _, last = noun.rpartition(" ")
    forms = getInflection(last.lower(), "NNS")
    plural = forms[0] if forms else last + "s"
    if last[:1].isupper():
        plural = plural.capitalize()
    return f"{head} {plural}" if head else plural


def article(word: str) -> str:
    """``a`` or ``an`` for the word that follows, by its sound as far as spelling tells."""
    lower = word.lower().lstrip('"')
    if lower[:1] in "aeiou" and not lower.startswith(_AN_EXCEPTIONS):
        return "an"
    if lower[:1] == "8" or lower.startswith(("11", "18")):
        return "an"
    return "a"


def possessive(name: str) -> str:
    return name + ("'" if name.endswith("s") else "'s")


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"


class Describer:
    """Descriptor words for one track, drawn according to its energy and valence."""

    def __init__(self, rng: random.Random, energy: float, valence: float) -> None:
        self.rng = rng
        self.p_high = {"energy": p_high(energy), "valence": p_high(valence)}

    def _pick(self, kind: str) -> str:
        rng = self.rng
        r = rng.random()
        if r < SLOT_SHARES["energy"]:
            feature = "energy"
        elif r < SLOT_SHARES["energy"] + SLOT_SHARES["valence"]:
            feature = "valence"
        else:
            return rng.choice(NEUTRAL[kind])
        side = "high" if rng.random() < self.p_high[feature] else "low"
        return rng.choice(PLANTED[f"{feature}_{side}"][kind])

    def adj(self) -> str:
        return self._pick("adjectives")

    def noun(self) -> str:
        return self._pick("nouns")

    def adv(self) -> str:
        return self._pick("adverbs")

    def distinct_adjs(self, n: int) -> list[str]:
        words: list[str] = []
        while len(words) < n:
            word = self.adj()
            if word not in words:
                words.append(word)
        return words

    def adjs(self, n: int) -> str:
        """``n`` distinct descriptors as a list: "a", "a and b", "a, b and c"."""
        words = self.distinct_adjs(n)
        return words[0] if n == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class Phrases:
    """Noun and verb phrases about the sound of a track; each call draws from the shared generator."""

    def __init__(self, rng: random.Random, describer: Describer) -> None:
        self.rng = rng
        self.d = describer

    def sound_noun(self, plural: bool | None = None) -> tuple[str, bool]:
        rng = self.rng
        while True:
            sing, plur = rng.choice(SOUND_NOUNS)
            want = rng.random() < 0.45 if plural is None else plural
            if want and plur:
                return plur, True
            if not want and sing:
                return sing, False
            if plural is None:
                return (plur, True) if plur else (sing, False)

    def np(
        self, plural: bool | None = None, depth: int = 0, definite: bool | None = None
    ) -> tuple[str, bool]:
        """A sound noun phrase, maybe with a descriptor, a position and a relative clause."""
        rng = self.rng
        noun, is_plural = self.sound_noun(plural)
        if rng.random() < 0.7:
            noun = f"{self.d.adj()} {noun}"
        if definite is None:
            definite = rng.random() < 0.65
        if definite:
            phrase = f"the {noun}"
        else:
            phrase = noun if is_plural else with_article(noun)
        # Depth bounds the nesting: a subject may take a position and a relative clause, an object
        # only a position, and the noun phrase inside a relative clause nothing.
        if depth < 2 and rng.random() < (0.25 if depth == 0 else 0.2):
            phrase += " " + rng.choice(POSITIONS)
        if depth < 1 and rng.random() < 0.3:
            phrase += " " + self.relative(is_plural, depth + 1)
        elif depth < 1 and rng.random() < 0.06:
            phrase += f" full of {self.d.noun()}"
        return phrase, is_plural

    def relative(self, plural: bool, depth: int) -> str:
        """A relative clause on a sound noun, e.g. "that swells under the vocals"."""
        rng = self.rng
        pronoun = rng.choice(("that", "that", "which"))
        if rng.random() < 0.5:
            verb = agree(rng.choice(SOUND_VERBS_INTRANSITIVE), plural)
            r = rng.random()
            if r < 0.35:
                return f"{pronoun} {verb} {rng.choice(POSITIONS)}"
            if r < 0.7:
                return f"{pronoun} {verb} {self.d.adv()}"
            return f"{pronoun} {verb} with {self.amount()} {self.d.noun()}"
        obj, _ = self.np(depth=depth + 1)
        return f"{pronoun} {agree(rng.choice(SOUND_VERBS_TRANSITIVE), plural)} {obj}"

    def vp(self, plural: bool, depth: int = 0) -> str:
        """A present-tense verb phrase for a sound subject."""
        rng = self.rng
        if rng.random() < 0.45:
            verb = agree(rng.choice(SOUND_VERBS_INTRANSITIVE), plural)
            r = rng.random()
            if r < 0.3:
                return f"{verb} {self.d.adv()}"
            if r < 0.55:
                return f"{verb} {rng.choice(POSITIONS)}"
            if r < 0.75:
                return f"{verb} with {self.amount()} {self.d.noun()}"
            return f"{verb} {self.d.adv()} {rng.choice(POSITIONS)}"
        obj, _ = self.np(depth=depth + 1)
        verb = agree(rng.choice(SOUND_VERBS_TRANSITIVE), plural)
        if rng.random() < 0.35:
            return f"{self.d.adv()} {verb} {obj}"
        return f"{verb} {obj}"

    def amount(self) -> str:
        """How much of a quality, for a mass noun: "with real fury", "with a touch of gloom"."""
        return self.rng.choice(("real", "a touch of", "such", "obvious", "a little", "surprising"))

    def clause(self, depth: int = 0) -> str:
        subject, plural = self.np(depth=depth)
        return f"{subject} {self.vp(plural, depth)}"
