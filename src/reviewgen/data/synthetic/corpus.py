"""The embedded synthetic corpus: music reviews with known sentence boundaries and planted word effects.

It is the default data of the pipeline and of most tests. Each track of a fictional world gets audio
features; its reviews use planted descriptor words whose probability rises or falls smoothly with the
track's energy or valence (``phrases.Describer``), so a feature-conditioned model has a real,
noisy signal to find, and ``truth`` says exactly what it is.

Everything is drawn from one ``random.Random(seed)``: the same arguments give identical frames.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reviewgen.data.synthetic.grammar import MAX_WORDS, MIN_WORDS, write_review
from reviewgen.data.synthetic.lexicon import NEUTRAL, PLANTED
from reviewgen.data.synthetic.phrases import CENTER, FLOOR, SLOPE, SLOT_SHARES
from reviewgen.data.synthetic.world import build_world

FEATURES = ("energy", "valence", "danceability", "tempo")
TRACKS_PER_REVIEW = 0.8
_GROUP_AFFINITY = {
    "energy_high": {"energy": 1.0, "valence": 0.0},
    "energy_low": {"energy": -1.0, "valence": 0.0},
    "valence_high": {"energy": 0.0, "valence": 1.0},
    "valence_low": {"energy": 0.0, "valence": -1.0},
    "neutral": {"energy": 0.0, "valence": 0.0},
}


@dataclass(frozen=True)
class SyntheticCorpus:
    reviews: pd.DataFrame  # review_id, artist, title, track_id, text, sentences
    tracks: pd.DataFrame  # track_id, artist, title, energy, valence, danceability, tempo
    truth: dict[str, Any]  # JSON-serialisable ground truth of the planted effects


def generate_corpus(n_reviews: int, seed: int) -> SyntheticCorpus:
    """``n_reviews`` reviews of about ``0.8 * n_reviews`` tracks, every track reviewed at least once."""
    if n_reviews < 1:
        raise ValueError(f"n_reviews must be at least 1, got {n_reviews}")
    rng = random.Random(seed)
    n_tracks = max(1, min(n_reviews, round(TRACKS_PER_REVIEW * n_reviews)))
    world = build_world(rng, n_tracks)
    order = list(range(n_tracks)) + [rng.randrange(n_tracks) for _ in range(n_reviews - n_tracks)]
    rng.shuffle(order)

    rows = []
    for i, index in enumerate(order, start=1):
        track = world.tracks[index]
        sentences = write_review(rng, track, world.artists)
        rows.append({"review_id": f"syn-{i:06d}", "artist": track.artist.name, "title": track.title,
                     "track_id": track.track_id, "text": " ".join(sentences), "sentences": sentences})
    reviews = pd.DataFrame(rows, columns=["review_id", "artist", "title", "track_id", "text", "sentences"])
    tracks = pd.DataFrame(
        [{"track_id": t.track_id, "artist": t.artist.name, "title": t.title,
          **{name: getattr(t, name) for name in FEATURES}} for t in world.tracks],
        columns=["track_id", "artist", "title", *FEATURES],
    )
    return SyntheticCorpus(reviews, tracks, truth(seed, n_reviews, n_tracks))


def truth(seed: int, n_reviews: int, n_tracks: int) -> dict[str, Any]:
    """What was planted: each word's group and its affinity in [-1, 1] to every feature."""
    groups: dict[str, list[str]] = {group: sorted(w for ws in kinds.values() for w in ws)
                                    for group, kinds in PLANTED.items()}
    groups["neutral"] = sorted(w for ws in NEUTRAL.values() for w in ws)
    words = {}
    for group, members in groups.items():
        affinity = {name: _GROUP_AFFINITY[group].get(name, 0.0) for name in FEATURES}
        for word in members:
            words[word] = {"group": group, **affinity}
    return {
        "seed": seed,
        "n_reviews": n_reviews,
        "n_tracks": n_tracks,
        "features": list(FEATURES),
        "groups": groups,
        "words": words,
        "mechanism": {
            "slot_shares": dict(SLOT_SHARES),
            "p_high": f"{FLOOR} + {1 - 2 * FLOOR:g} * sigmoid({SLOPE} * (feature - {CENTER}))",
            # The same formula as numbers, so a reader can compute how much a feature can tell.
            "p_high_params": {"floor": FLOOR, "slope": SLOPE, "center": CENTER},
            "note": "each descriptor slot goes to the energy groups, the valence groups or the neutral words "
                    "with slot_shares; within a feature it picks the _high group with probability p_high, "
                    "else the _low group. danceability and tempo have no planted words; some sentences "
                    "quote the tempo in BPM.",
            "sentence_words": [MIN_WORDS, MAX_WORDS],
        },
    }
