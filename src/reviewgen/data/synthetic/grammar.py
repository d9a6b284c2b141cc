"""Sentences about the sound of a track, the opening and the verdict, and the assembly of a review.

A review is an opening sentence, a body drawn from several sentence families (sound, comparison,
history, production, lyrics, release context; the last five live in ``background``) and
usually a verdict. Every sentence is finished by :func:`finish`, so the true boundaries are known.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from reviewgen.data.synthetic import background
from reviewgen.data.synthetic.lexicon import FRONTED, PERFORMER_VERBS, POSITIONS, SOUND_VERBS_TRANSITIVE
from reviewgen.data.synthetic.phrases import Describer, Phrases, agree, possessive, verb_form, with_article
from reviewgen.data.synthetic.world import Artist, NameMaker, Track

MIN_WORDS, MAX_WORDS = 4, 40
_SONG_WORDS = ("single", "song", "cut", "track", "tune", "number")
_SONG_RELATIVES = (
    "wears its influences openly", "rewards repeat listens", "clocks in at under three minutes",
    "takes its time", "never quite settles", "sounds bigger than it is", "gets better with every play",
    "does a lot with very little", "refuses to sit still", "ends far from where it starts",
)
_VOCAL_TAILS = (
    "stretching every vowel", "swallowing half the words", "leaving plenty of space",
    "never quite landing on the beat", "doubling the melody an octave up", "barely raising the voice",
    "letting the last word hang", "clipping each line short", "pushing right up against the mix",
)


def finish(body: str, mark: str = ".") -> str:
    """Capitalise a sentence and end it once: a quoted title or lyric may already carry the mark."""
    start = 1 if body.startswith('"') else 0
    body = body[:start] + body[start].upper() + body[start + 1:]
    if body.endswith(("?", "!", '?"', '!"')):
        return body
    if body.endswith('"'):
        return body[:-1] + mark + '"'
    return body + mark


class Writer:
    """Writes the sentences of one review; every choice comes from the corpus generator ``rng``."""

    def __init__(self, rng: random.Random, track: Track, artists: Sequence[Artist]) -> None:
        self.rng = rng
        self.track = track
        self.artist = track.artist
        self.d = Describer(rng, track.energy, track.valence)
        self.ph = Phrases(rng, self.d)
        self.names = NameMaker(rng)
        self.artists = artists
        self.used: set[tuple[str, int]] = set()

    def shape(self, family: str, n: int, repeatable: tuple[int, ...] = ()) -> int:
        """One of ``n`` sentence shapes of a family; a review rarely reuses a shape unless it is generic."""
        for _ in range(8):
            k = self.rng.randrange(n)
            if k in repeatable or (family, k) not in self.used:
                break
        self.used.add((family, k))
        return k

    # --- references --------------------------------------------------------------------------------
    def title(self) -> str:
        """The track's title, quoted as reviews do (always when it carries its own punctuation)."""
        title = self.track.title
        if self.rng.random() < 0.85 or not title.replace(" ", "").isalnum():
            return f'"{title}"'
        return title

    def subject(self) -> tuple[str, bool]:
        """The artist as a subject with its grammatical number: the name, a pronoun or "the band"."""
        a, r = self.artist, self.rng.random()
        if r < 0.45:
            return a.name, a.plural
        if r < 0.75:
            return a.pronoun, a.pronoun == "they"
        return a.noun, False

    def their(self) -> str:
        a = self.artist
        if self.rng.random() < 0.4:
            return possessive(a.name)
        return {"they": "their", "she": "her", "he": "his"}[a.pronoun]

    def others(self, k: int) -> list[str]:
        """``k`` distinct other artists of the fictional world, for comparisons."""
        names: list[str] = []
        tries = 0
        while len(names) < k:
            name = self.rng.choice(self.artists).name
            tries += 1
            # A world too small for k distinct others gives up on distinctness rather than loop forever.
            if name != self.artist.name and name not in names or tries > 50:
                names.append(name)
        return names

    def other(self) -> str:
        return self.others(1)[0]

    def singer(self) -> str:
        a = self.artist
        for person, role in a.members:
            if role == "singer" and len(a.members) > 1 and self.rng.random() < 0.6:
                return person.name
        return a.name if len(a.members) == 1 else f"{possessive(a.name)} singer"

    def score(self) -> str:
        value = min(10.0, max(2.0, self.rng.gauss(7.0, 1.3)))
        return f"{value:.1f}" if self.rng.random() < 0.25 else str(round(value))

    def song(self) -> str:
        return self.rng.choice(_SONG_WORDS)

    # --- openings ----------------------------------------------------------------------------------
    def opening(self) -> str:
        rng, a, t, d, ph = self.rng, self.artist, self.title(), self.d, self.ph
        shape = rng.randrange(7)
        if shape == 0:
            which = rng.choice(("first", "second", "third", "latest", "lead"))
            kind = rng.choice(("new", "forthcoming", "upcoming", "long-awaited", "third"))
            record = rng.choice(("album", "EP", "LP", "record"))
            return f"{t} is the {which} single from {possessive(a.name)} {d.adj()} {kind} {record}, " \
                   f"{self.track.album}"
        if shape == 1:
            back = rng.choice(("return", "be back", "resurface"))
            verb = agree("be", a.plural) + " back" if back == "be back" else agree(back, a.plural)
            return f"{a.name} {verb} with {t}, {with_article(d.adj())} {a.genre} {self.song()} " \
                   f"that {rng.choice(_SONG_RELATIVES)}"
        if shape == 2:
            obj, _ = ph.np(definite=False, depth=1)
            under, _ = ph.np(depth=1)
            prep = rng.choice(("over", "under", "against", "into", "on top of"))
            return f"On {t}, {a.name} {agree(rng.choice(PERFORMER_VERBS), a.plural)} {obj} {prep} {under}"
        if shape == 3 and rng.random() < 0.5:
            return f"{t} is pure {d.noun()} from start to finish, and {a.name} " \
                   f"{agree('know', a.plural)} it"
        if shape == 3:
            how = rng.choice(("busy", "strange", "good", "long", "big"))
            return f"{self.track.year} has been {with_article(how)} year for {a.name}, and {t} " \
                   f"{rng.choice(('feels like', 'sounds like', 'is'))} {with_article(d.adj())} " \
                   f"{rng.choice(('victory lap', 'statement', 'change of pace', 'step forward'))}"
        if shape == 4:
            first, _ = ph.np(definite=False, depth=1)
            second, _ = ph.np(definite=False, depth=1)
            return f"The latest from {possessive(a.city)} {a.name}, {t} pairs {first} with {second}"
        if shape == 5:
            first, _ = ph.np(definite=False, depth=1)
            return f"{t} opens with {first} before {ph.clause(depth=1)}"
        return f"{t}, the new {a.genre} {self.song()} from {a.name}, {rng.choice(_SONG_RELATIVES)}"

    # --- the sound ---------------------------------------------------------------------------------
    def sound(self) -> str:
        rng, d, ph = self.rng, self.d, self.ph
        shape = self.shape("sound", 13, repeatable=(0, 1, 2, 3, 11))
        if shape == 0:
            return ph.clause()
        if shape == 1:
            tail, _ = ph.np(definite=False, depth=1)
            return f"{ph.clause()}, {verb_form(rng.choice(SOUND_VERBS_TRANSITIVE), 'VBG')} {tail} as it goes"
        if shape == 2:
            joint = rng.choice((", while", ", but", ", and", "; meanwhile,", " as"))
            return f"{ph.clause(depth=rng.randrange(2))}{joint} {ph.clause(depth=1)}"
        if shape == 11:
            return f"{rng.choice(('Although', 'Even if', 'Just as', 'Long after'))} {ph.clause(depth=1)}, " \
                   f"{ph.clause()}"
        if shape == 3:
            return f"{rng.choice(FRONTED)}, {ph.clause()}"
        if shape == 4:
            who = self.singer()
            verb = agree(rng.choice(("sing", "croon", "deliver the lines", "murmur", "belt")), False)
            over, _ = ph.np(definite=False, depth=1)
            how = d.adv() if rng.random() < 0.5 else f"with {ph.amount()} {d.noun()}"
            return f"{who} {verb} {how} over {over}, {rng.choice(_VOCAL_TAILS)}"
        if shape == 5:
            noun, plural = ph.sound_noun()
            first, _ = ph.sound_noun(True)
            second, _ = ph.sound_noun(True)
            one, two, three = d.distinct_adjs(3)
            return f"The {noun} {agree('be', plural)} {one} and {two}, all {three} {first} and {second}"
        if shape in (6, 12):
            return self._sense()
        if shape == 7:
            bpm = round(self.track.tempo)
            lead = rng.choice((f"At {bpm} BPM", f"Clocking in at around {bpm} BPM", f"At a steady {bpm} BPM"))
            return f"{lead}, {ph.clause(depth=1)}"
        if shape == 8:
            idle = rng.choice(("nothing much happens", "the track idles", f"{self.title()} barely moves",
                               "the song holds its breath"))
            span = rng.choice(("For a minute", "For the first few bars", "For thirty seconds", "At first"))
            pause = "..." if self.rng.random() < 0.3 else ", and"
            return f"{span} {idle}{pause} then {ph.clause(depth=1)}"
        if shape == 9:
            first, _ = ph.np(definite=False, depth=1)
            second, _ = ph.np(definite=False, depth=1)
            return f"Who else would pair {first} with {second}?"
        noun, _ = ph.sound_noun(False)
        return f"{with_article(d.adj())} {self.artist.genre} {self.song()} with {with_article(d.adj())} " \
               f"{noun} at its heart"

    def _sense(self) -> str:
        rng, d, ph = self.rng, self.d, self.ph
        r = rng.random()
        if r < 0.35:
            return f"There is a sense of {d.noun()} in the way {ph.clause(depth=1)}"
        if r < 0.7:
            who, plural = self.subject()
            target, _ = ph.np(depth=1)
            return f"{who} {agree('bring', plural)} real {d.noun()} to {target}"
        subject, plural = ph.np(depth=1)
        return f"{subject} {agree('add', plural)} a touch of {d.noun()} {rng.choice(POSITIONS)}"

    # --- verdicts ----------------------------------------------------------------------------------
    def verdict(self) -> str:
        rng, d, a = self.rng, self.d, self.artist
        shape = self.shape("verdict", 8)
        if shape == 0:
            return f"Verdict: {d.adjs(2)}, {self.score()}/10"
        if shape == 1:
            score = self.score()
            return f"It is {with_article(d.adj())} {self.song()}, and it earns {with_article(score)} from us"
        if shape == 2:
            noun, plural = self.ph.sound_noun()
            flaw = agree(rng.choice(("drag", "wander", "go on too long", "feel tacked on")), plural)
            return f"Not everything works (the {noun} {flaw}), but {self.title()} is " \
                   f"{with_article(d.adj())} addition to {self.their()} catalogue"
        if shape == 3:
            if rng.random() < 0.5:
                return f"In short: {d.adjs(2)} and full of {d.noun()}"
            return f"In short: {d.adjs(3)}"
        if shape == 4:
            return f"{a.name} {agree('have', a.plural)} made one of the most {d.adj()} {a.genre} songs " \
                   f"of {self.track.year}"
        if shape == 5:
            return f"Rating: {self.score()}/10 ({d.adj()} but {d.adj()})"
        if shape == 6:
            return f"{self.title()} is {d.noun()} set to {with_article(d.adj())} {a.genre} beat"
        where = rng.choice(("loud", "on headphones", "on a long drive", "late at night", "at a party"))
        return f"Play it {where}: it is {d.adj()} in all the right ways"


def _sentence(make: Callable[[], str], w: Writer | None = None) -> str:
    """One finished sentence, redrawn until its length is in range (templates rarely miss it).

    Given the writer, a sentence sometimes runs on into a clause about the sound, as reviewers do
    (only sentences about something else: a sound sentence is already built from such clauses).
    """
    while True:
        body = make()
        if w is not None and not body.endswith(('"', "?", "!")) and w.rng.random() < 0.15:
            joint = w.rng.choice((", and", ", though", ", while", "; meanwhile,"))
            body = f"{body}{joint} {w.ph.clause(depth=1)}"
        sentence = finish(body)
        if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
            return sentence


def write_review(rng: random.Random, track: Track, artists: Sequence[Artist]) -> list[str]:
    """The sentences of one review of ``track``: an opening, a body and usually a verdict."""
    w = Writer(rng, track, artists)
    families: list[tuple[Callable[[], str], float]] = [
        (w.sound, 0.42), (lambda: background.comparison(w), 0.12), (lambda: background.history(w), 0.12),
        (lambda: background.production(w), 0.11), (lambda: background.lyrics(w), 0.13),
        (lambda: background.context(w), 0.10),
    ]
    makers, weights = zip(*families, strict=True)
    n = rng.choices(range(3, 11), weights=(10, 14, 17, 17, 14, 11, 9, 8))[0]
    has_verdict = rng.random() < 0.7
    sentences = [_sentence(w.opening)]
    for make in rng.choices(makers, weights=weights, k=n - 1 - has_verdict):
        sentences.append(_sentence(make, None if make == w.sound else w))
    if has_verdict:
        sentences.append(_sentence(w.verdict))
    return sentences
