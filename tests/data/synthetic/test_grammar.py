"""Sentence finishing and review assembly of the synthetic grammar."""

from __future__ import annotations

import random

import pytest

from reviewgen.data.synthetic.grammar import MAX_WORDS, MIN_WORDS, finish, write_review
from reviewgen.data.synthetic.world import build_world


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("the drums kick in", "The drums kick in."),
        ('its best song is "Ember"', 'Its best song is "Ember."'),
        ('one line stands out: "Who Knows?"', 'One line stands out: "Who Knows?"'),
        ('"we kept the radio on," she sings', '"We kept the radio on," she sings.'),
        ("who else would do this?", "Who else would do this?"),
        ("rating: 8/10 (tight but raw)", "Rating: 8/10 (tight but raw)."),
    ],
)
def test_finish_capitalises_and_ends_once(body, expected):
    assert finish(body) == expected


def test_reviews_have_an_opening_a_body_and_bounded_sentences():
    rng = random.Random(7)
    world = build_world(rng, 40)
    for track in world.tracks:
        sentences = write_review(rng, track, world.artists)
        assert 3 <= len(sentences) <= 10
        assert all(MIN_WORDS <= len(s.split()) <= MAX_WORDS for s in sentences)
        # The opening names the track or its artist.
        assert track.title in sentences[0] or track.artist.name in sentences[0]


def test_a_world_of_one_artist_still_writes_comparisons():
    rng = random.Random(8)
    world = build_world(rng, 1)
    for _ in range(30):
        assert len(write_review(rng, world.tracks[0], world.artists)) >= 3
