"""The fictional world: names, artists, tracks and features."""

from __future__ import annotations

import random
import re

from reviewgen.data.synthetic.lexicon import planted_words
from reviewgen.data.synthetic.world import NameMaker, build_world, draw_features, track_id


def test_syllable_names_are_capitalised_and_never_planted_words():
    names = NameMaker(random.Random(1))
    planted = set(planted_words())
    words = [names.word() for _ in range(2000)]
    assert all(w[0].isupper() and w[1:].islower() and w.lower() not in planted for w in words)
    assert len(set(words)) > 1500  # enough distinct names for a vocabulary of thousands


def test_people_sometimes_have_initials():
    names = NameMaker(random.Random(2))
    people = [names.person().name for _ in range(1000)]
    with_initial = [p for p in people if re.search(r"\b[A-Z]\.", p)]
    assert 0.02 < len(with_initial) / len(people) < 0.15


def test_track_ids_look_like_spotify_ids():
    rng = random.Random(3)
    ids = {track_id(rng) for _ in range(500)}
    assert len(ids) == 500 and all(re.fullmatch(r"[0-9A-Za-z]{22}", i) for i in ids)


def test_features_stay_in_range():
    rng = random.Random(4)
    for _ in range(500):
        f = draw_features(rng)
        assert 0 <= f["energy"] <= 1 and 0 <= f["valence"] <= 1 and 0 <= f["danceability"] <= 1
        assert 60 <= f["tempo"] <= 200


def test_world_artists_are_consistent():
    world = build_world(random.Random(5), 300)
    assert len(world.tracks) == 300 and len({t.track_id for t in world.tracks}) == 300
    assert len(world.artists) == 150 == len({a.name for a in world.artists})
    for artist in world.artists:
        # Plural verb agreement belongs to "The ...s" band names, solo artists are singular.
        assert artist.plural == artist.name.startswith("The ")
        assert (artist.pronoun == "they") == (len(artist.members) > 1)
        assert artist.albums
    for track in world.tracks:
        assert track.year > track.artist.formed and track.album in track.artist.albums
