"""The fictional music world behind the synthetic corpus: people, artists, tracks and their features.

Names are built from syllables so the corpus has thousands of distinct proper nouns, as real reviews
do; they are checked against the planted words so a name can never carry the planted signal.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from reviewgen.data.synthetic.lexicon import (
    CODAS,
    FEMININE,
    FIRST_NAMES,
    GENRES,
    NAME_NOUNS,
    ONSETS,
    REAL_CITIES,
    ROLES,
    TITLE_ADJECTIVES,
    TITLE_VERBS,
    VOWELS,
    neutral_words,
    planted_words,
)
from reviewgen.data.synthetic.phrases import noun_plural

BASE62 = string.digits + string.ascii_letters
TRACK_ID_LENGTH = 22
_RESERVED = frozenset(planted_words()) | frozenset(neutral_words())


@dataclass(frozen=True)
class Person:
    name: str
    pronoun: str  # "she" or "he"


@dataclass(frozen=True)
class Artist:
    name: str
    plural: bool  # verb agreement with the name as subject: "The Paper Lanterns are", "Kavelo is"
    pronoun: str  # "they", "she" or "he"
    noun: str  # what to call it: "the band", "the trio", "the singer", ...
    genre: str
    city: str
    formed: int
    members: tuple[tuple[Person, str], ...]  # (person, role)
    label: str
    albums: tuple[str, ...]


@dataclass(frozen=True)
class Track:
    track_id: str
    title: str
    artist: Artist
    album: str
    year: int
    producer: Person
    studio: str
    energy: float
    valence: float
    danceability: float
    tempo: float


class NameMaker:
    """Fictional names of every kind, all drawn from one generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def word(self, syllables: int | None = None) -> str:
        rng = self.rng
        n = syllables or rng.choice((2, 2, 2, 3))
        while True:
            parts = [rng.choice(ONSETS) + rng.choice(VOWELS) + (rng.choice(CODAS) if i == n - 1 else "")
                     for i in range(n)]
            word = "".join(parts)
            if len(word) >= 4 and word not in _RESERVED:
                return word.capitalize()

    def person(self) -> Person:
        rng = self.rng
        if rng.random() < 0.8:
            first = rng.choice(FIRST_NAMES)
            pronoun = "she" if first in FEMININE else "he"
        else:
            first, pronoun = self.word(2), rng.choice(("she", "he"))
        surname = self.word()
        r = rng.random()
        if r < 0.04:  # initials are a classic sentence-splitter hazard ("R. Velasco")
            return Person(f"{first[0]}. {surname}", pronoun)
        if r < 0.05:
            return Person(f"{first[0]}.{rng.choice(string.ascii_uppercase)}. {surname}", pronoun)
        if r < 0.06:
            return Person(f"{first} {rng.choice(string.ascii_uppercase)}. {surname}", pronoun)
        return Person(f"{first} {surname}", pronoun)

    def city(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            return rng.choice(REAL_CITIES)
        if r < 0.52:
            return f"St. {self.word()}"
        if r < 0.58:
            return f"Port {self.word()}"
        return self.word()

    def plain_title(self) -> str:
        rng = self.rng
        noun, adj = rng.choice(NAME_NOUNS), rng.choice(TITLE_ADJECTIVES)
        shape = rng.randrange(8)
        if shape == 0:
            return noun
        if shape == 1:
            return f"{adj} {noun}"
        if shape == 2:
            return f"The {noun} {rng.choice(NAME_NOUNS)}"
        if shape == 3:
            return f"{rng.choice(TITLE_VERBS)} the {noun}"
        if shape == 4:
            return f"{noun} in {self.city()}"
        if shape == 5:
            return f"{noun} of {noun_plural(rng.choice(NAME_NOUNS))}"
        if shape == 6:
            return self.word()
        return f"{adj} {noun_plural(noun)}"

    def title(self) -> str:
        """A song title; about one in ten carries punctuation that can fool a sentence splitter."""
        rng = self.rng
        if rng.random() >= 0.1:
            return self.plain_title()
        noun = rng.choice(NAME_NOUNS)
        shape = rng.randrange(10)
        if shape == 0:
            return f"{self.plain_title()} (feat. {self.person().name})"
        if shape == 1:
            return f"{noun_plural(noun)} vs. {noun_plural(rng.choice(NAME_NOUNS))}"
        if shape == 2:
            return f"{noun} No. {rng.randint(2, 12)}"
        if shape == 3:
            return f"St. {self.word()}'s {noun}"
        if shape == 4:
            return rng.choice((f"Where Did the {noun} Go?", f"Who Needs a {noun}?", "Who Knows?",
                               f"Are You {rng.choice(TITLE_ADJECTIVES)}?", "What's Left?"))
        if shape == 5:
            return rng.choice((f"{rng.choice(TITLE_VERBS)} Me!", f"Hey, {rng.choice(FIRST_NAMES)}!"))
        if shape == 6:
            return f"{noun}, {rng.choice(NAME_NOUNS)}, {rng.choice(NAME_NOUNS)}"
        if shape == 7:
            return f"Mr. {self.word()}"
        if shape == 8:
            return f"Don't {rng.choice(TITLE_VERBS)} the {noun}"
        return f"{self.plain_title()}, Pt. {rng.randint(2, 4)}"

    def label(self) -> str:
        rng = self.rng
        return rng.choice((f"{rng.choice(NAME_NOUNS)} Records", f"{self.word()} Sound",
                           f"{rng.choice(NAME_NOUNS)} & {rng.choice(NAME_NOUNS)}",
                           f"{self.word()} Music Group", f"{rng.choice(NAME_NOUNS)} Tapes"))

    def studio(self) -> str:
        rng = self.rng
        if rng.random() < 0.08:
            return f"St. {self.word()}'s Hall"
        return rng.choice((f"{rng.choice(NAME_NOUNS)} Studio", f"the {rng.choice(NAME_NOUNS)} Room",
                           f"{self.word()} Sound Studios", f"{rng.choice(NAME_NOUNS)} Lane"))

    def artist(self) -> Artist:
        rng = self.rng
        genre, city, formed = rng.choice(GENRES), self.city(), rng.randint(1994, 2021)
        label = self.label()
        albums = tuple(self.plain_title() for _ in range(rng.randint(1, 4)))
        r = rng.random()
        if r < 0.35:
            person = self.person()
            prefix = rng.choice(("", "", "", "", "", "DJ ", "MC ", "Lil "))
            name = prefix + (person.name if rng.random() < 0.75 else person.name.split()[-1])
            noun = rng.choice(("the singer", "the songwriter", "the producer", "the rapper", "the artist"))
            return Artist(name, False, person.pronoun, noun, genre, city, formed,
                          ((person, rng.choice(ROLES)),), label, albums)
        size = rng.randint(2, 5)
        members = tuple((self.person(), role) for role in rng.sample(ROLES, size))
        noun = rng.choice(("the band", "the group", {2: "the duo", 3: "the trio", 4: "the quartet",
                                                     5: "the five-piece"}[size]))
        if r < 0.65:
            adj = rng.choice(TITLE_ADJECTIVES) + " " if rng.random() < 0.5 else ""
            name, plural = f"The {adj}{noun_plural(rng.choice(NAME_NOUNS))}", True
        else:
            name = rng.choice((f"{rng.choice(TITLE_ADJECTIVES)} {rng.choice(NAME_NOUNS)}",
                               f"{rng.choice(NAME_NOUNS)} {rng.choice(NAME_NOUNS)}", self.word(3),
                               f"{_short_name(members[0][0])} & the {noun_plural(rng.choice(NAME_NOUNS))}"))
            plural = False
        return Artist(name, plural, "they", noun, genre, city, formed, members, label, albums)


def _short_name(person: Person) -> str:
    """First name, or surname when the first name is only an initial ("R. Velasco" -> "Velasco")."""
    first = person.name.split()[0]
    return person.name.split()[-1] if first.endswith(".") else first


def track_id(rng: random.Random) -> str:
    return "".join(rng.choices(BASE62, k=TRACK_ID_LENGTH))


def draw_features(rng: random.Random) -> dict[str, float]:
    """Energy and valence independent and uniform; danceability and tempo lean mildly on energy."""
    energy, valence = rng.random(), rng.random()
    danceability = 0.25 * energy + 0.75 * rng.random()
    tempo = 60.0 + 140.0 * (0.3 * energy + 0.7 * rng.random())
    return {"energy": round(energy, 4), "valence": round(valence, 4),
            "danceability": round(danceability, 4), "tempo": round(tempo, 3)}


@dataclass(frozen=True)
class World:
    artists: tuple[Artist, ...]
    tracks: tuple[Track, ...]


def build_world(rng: random.Random, n_tracks: int) -> World:
    """``n_tracks`` tracks by about half as many artists, each with features and credits."""
    names = NameMaker(rng)
    # Artist names and (artist, title) pairs are unique, so either identifies a row as well as track_id.
    by_name: dict[str, Artist] = {}
    while len(by_name) < max(1, n_tracks // 2):
        artist = names.artist()
        by_name.setdefault(artist.name, artist)
    artists = list(by_name.values())
    seen_ids: set[str] = set()
    seen_titles: set[tuple[str, str]] = set()
    tracks = []
    for _ in range(n_tracks):
        artist = rng.choice(artists)
        tid = track_id(rng)
        while tid in seen_ids:
            tid = track_id(rng)
        seen_ids.add(tid)
        title = names.title()
        while (artist.name, title) in seen_titles:
            title = names.title()
        seen_titles.add((artist.name, title))
        album = rng.choice(artist.albums)
        year = rng.randint(max(artist.formed + 1, 2008), 2024)
        producer = names.person() if rng.random() < 0.8 else artist.members[0][0]
        tracks.append(Track(tid, title, artist, album, year, producer, names.studio(), **draw_features(rng)))
    return World(tuple(artists), tuple(tracks))
