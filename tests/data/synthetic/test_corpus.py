"""The synthetic corpus: shape, determinism, linguistic variety, planted effects and splitter hazards."""

from __future__ import annotations

import collections
import json
import math
import re

import pandas as pd
import pytest

from reviewgen.data.synthetic import FEATURES, generate_corpus

WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
ABBREVIATIONS = ("feat.", "Mr.", "vs.", "U.S.", "No.", "Dr.", "St.", "Pt.")
# A '.', '?' or '!' that is not the sentence's own final mark (closing quotes and brackets aside).
INTERNAL_MARK = re.compile(r"[.?!](?![\"')]*$)")


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(3000, 13)


@pytest.fixture(scope="module")
def joined(corpus):
    """Reviews with their track's features and their lower-cased word tokens."""
    frame = corpus.reviews.merge(corpus.tracks, on=["track_id", "artist", "title"], validate="many_to_one")
    frame["tokens"] = [WORD.findall(text.lower()) for text in frame["text"]]
    return frame


@pytest.fixture(scope="module")
def sentences(corpus):
    return [s for review in corpus.reviews["sentences"] for s in review]


def spearman(x, y) -> float:
    return pd.Series(list(x)).rank().corr(pd.Series(list(y)).rank())


def token_counts(token_lists) -> collections.Counter:
    return collections.Counter(t for tokens in token_lists for t in tokens)


def group_words(corpus, group: str) -> set[str]:
    return {w for w, info in corpus.truth["words"].items() if info["group"] == group}


def test_frames_have_the_promised_columns_and_keys(corpus):
    reviews, tracks = corpus.reviews, corpus.tracks
    assert list(reviews.columns) == ["review_id", "artist", "title", "track_id", "text", "sentences"]
    assert list(tracks.columns) == ["track_id", "artist", "title", *FEATURES]
    assert len(reviews) == 3000 and reviews["review_id"].is_unique
    assert reviews["review_id"].iloc[0] == "syn-000001"
    assert reviews["track_id"].str.fullmatch(r"[0-9A-Za-z]{22}").all()
    assert tracks["track_id"].is_unique and len(tracks) == 2400
    assert not tracks.duplicated(["artist", "title"]).any()
    # Every track is reviewed, and some several times.
    counts = reviews["track_id"].value_counts()
    assert set(counts.index) == set(tracks["track_id"]) and counts.max() > 1


def test_features_have_their_ranges_and_dependence(corpus):
    tracks = corpus.tracks
    for name in ("energy", "valence", "danceability"):
        assert tracks[name].between(0.0, 1.0).all()
    assert tracks["tempo"].between(60.0, 200.0).all()
    assert abs(spearman(tracks["energy"], tracks["valence"])) < 0.1
    assert 0.1 < spearman(tracks["energy"], tracks["danceability"]) < 0.6
    # Uniform energy and valence: each quartile holds about a quarter of the tracks.
    for name in ("energy", "valence"):
        quartiles = pd.cut(tracks[name], [0, 0.25, 0.5, 0.75, 1.0], include_lowest=True)
        assert quartiles.value_counts(normalize=True).between(0.2, 0.3).all()


def test_same_arguments_give_identical_corpora_and_others_differ():
    first, second = generate_corpus(200, 5), generate_corpus(200, 5)
    pd.testing.assert_frame_equal(first.reviews, second.reviews)
    pd.testing.assert_frame_equal(first.tracks, second.tracks)
    assert first.truth == second.truth
    other = generate_corpus(200, 6)
    assert not set(other.tracks["track_id"]) & set(first.tracks["track_id"])
    assert other.reviews["text"].iloc[0] != first.reviews["text"].iloc[0]


def test_tiny_and_invalid_sizes():
    one = generate_corpus(1, 0)
    assert len(one.reviews) == 1 and len(one.tracks) == 1
    with pytest.raises(ValueError, match="n_reviews"):
        generate_corpus(0, 0)


def test_text_is_the_true_sentences_joined(corpus):
    for text, sents in zip(corpus.reviews["text"], corpus.reviews["sentences"], strict=True):
        assert " ".join(sents) == text
        assert 3 <= len(sents) <= 10


def test_sentences_are_well_formed(sentences):
    for sentence in sentences:
        assert sentence == sentence.strip() and "  " not in sentence
        assert re.search(r"[.?!][\"')]*$", sentence), sentence
        first = re.search(r"[A-Za-z0-9]", sentence).group()
        assert first.isupper() or first.isdigit(), sentence
        # The true boundary is never right after an abbreviation or an initial.
        last = sentence.split()[-1]
        assert last not in ABBREVIATIONS and not re.fullmatch(r"[A-Z]\.", last), sentence


def test_sentence_lengths_vary_around_fifteen_words(sentences):
    lengths = [len(s.split()) for s in sentences]
    assert min(lengths) >= 4 and max(lengths) <= 40
    assert 13 <= sum(lengths) / len(lengths) <= 17
    assert max(lengths) >= 30 and collections.Counter(lengths)[min(lengths)] > 0
    assert len(set(lengths)) >= 25


def test_sentences_are_distinct_and_vocabulary_is_large(sentences, joined):
    assert len(set(sentences)) / len(sentences) >= 0.95
    vocabulary = {w for tokens in joined["tokens"] for w in tokens}
    assert len(vocabulary) >= 3000


def bigram_entropy(sentences) -> float:
    counts = collections.Counter()
    for sentence in sentences:
        tokens = ["<s>", *WORD.findall(sentence.lower())]
        counts.update(zip(tokens, tokens[1:], strict=False))
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def test_bigram_entropy_is_far_above_a_fixed_template_list(sentences):
    templates = list(dict.fromkeys(sentences))[:30]
    baseline = bigram_entropy(templates * (len(sentences) // 30))
    assert bigram_entropy(sentences) > baseline + 4


def test_plural_band_names_take_plural_verbs(corpus):
    # Only bands with plural names start with "The"; every other artist name is singular.
    for artist, text in zip(corpus.reviews["artist"], corpus.reviews["text"], strict=True):
        if artist.startswith("The "):
            assert not re.search(re.escape(artist) + r" (is|has|was|returns|plays) ", text), text
        else:
            assert not re.search(re.escape(artist) + r" (are|have|were|return|play) ", text), text


@pytest.mark.parametrize(
    ("group", "feature", "sign"),
    [("energy_high", "energy", 1), ("energy_low", "energy", -1), ("valence_high", "valence", 1),
     ("valence_low", "valence", -1)],
)
def test_planted_words_follow_their_feature(corpus, joined, group, feature, sign):
    words = group_words(corpus, group)
    rate = joined["tokens"].map(lambda tokens: sum(t in words for t in tokens) / len(tokens))
    frame = joined.assign(rate=rate)
    per_track = frame.groupby("track_id")[[feature, "rate"]].mean()
    assert sign * spearman(per_track[feature], per_track["rate"]) > 0.5
    deciles = frame.groupby(pd.qcut(frame[feature], 10), observed=True)["rate"].mean()
    assert sign * spearman(range(10), deciles) > 0.9
    other = "valence" if feature == "energy" else "energy"
    assert abs(spearman(frame.groupby("track_id")[other].mean(), per_track["rate"])) < 0.1


def test_neutral_words_ignore_the_features(corpus, joined):
    words = group_words(corpus, "neutral")
    rate = joined["tokens"].map(lambda tokens: sum(t in words for t in tokens) / len(tokens))
    for feature in ("energy", "valence"):
        assert abs(spearman(joined[feature], rate)) < 0.1


@pytest.mark.parametrize("feature", ["energy", "valence"])
def test_every_planted_word_occurs_at_both_extremes(corpus, joined, feature):
    low, high = joined[feature].quantile([0.25, 0.75])
    count_low = token_counts(joined.loc[joined[feature] <= low, "tokens"])
    count_high = token_counts(joined.loc[joined[feature] >= high, "tokens"])
    for side in ("high", "low"):
        words = group_words(corpus, f"{feature}_{side}")
        favoured, other = (count_high, count_low) if side == "high" else (count_low, count_high)
        for word in words:
            assert count_low[word] >= 1 and count_high[word] >= 1, word
            assert favoured[word] > other[word], word  # yet each word leans the way of its group
        assert sum(favoured[w] for w in words) > 3 * sum(other[w] for w in words)


def test_truth_is_json_and_consistent(corpus):
    truth = json.loads(json.dumps(corpus.truth))
    assert truth["seed"] == 13 and truth["n_reviews"] == 3000 and truth["features"] == list(FEATURES)
    groups = collections.Counter(info["group"] for info in truth["words"].values())
    assert set(groups) == {"energy_high", "energy_low", "valence_high", "valence_low", "neutral"}
    assert min(groups.values()) >= 30
    for word, info in truth["words"].items():
        assert all(-1.0 <= info[f] <= 1.0 for f in FEATURES), word
        expected = {"energy_high": ("energy", 1), "energy_low": ("energy", -1),
                    "valence_high": ("valence", 1), "valence_low": ("valence", -1)}.get(info["group"])
        nonzero = {f: info[f] for f in FEATURES if info[f] != 0}
        assert nonzero == ({} if expected is None else {expected[0]: float(expected[1])}), word


def test_names_and_titles_never_contain_planted_words(corpus):
    planted = {w for w, info in corpus.truth["words"].items() if info["group"] != "neutral"}
    for column in ("artist", "title"):
        tokens = {t for value in corpus.tracks[column] for t in WORD.findall(value.lower())}
        assert not tokens & planted, column


def test_a_fair_share_of_reviews_carry_splitter_hazards(corpus, sentences):
    hazardous = [any(INTERNAL_MARK.search(s) for s in review) for review in corpus.reviews["sentences"]]
    assert 0.2 <= sum(hazardous) / len(hazardous) <= 0.45
    text = " ".join(sentences)
    for needle in (*ABBREVIATIONS, "...", '"', "(", ";"):
        assert needle in text, needle
    assert re.search(r"\b\d+\.\d/10\b", text)  # decimal scores
    assert re.search(r"\b[A-Z]\. [A-Z][a-z]+", text)  # names with initials
    assert re.search(r"\"[^\"]*[?!]\"[^.?!\"]", text)  # a title ending in ? or ! inside a sentence


def test_same_corpus_in_every_process_whatever_the_hash_seed():
    """Set or dict iteration order must not leak into the text: hash seeds differ between processes."""
    import os
    import subprocess
    import sys

    code = ("import hashlib; from reviewgen.data.synthetic import generate_corpus; "
            "c = generate_corpus(120, 5); print(hashlib.sha256(c.reviews.to_json().encode()).hexdigest())")
    digests = set()
    for hash_seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        digests.add(proc.stdout.strip())
    assert len(digests) == 1


def test_truth_records_the_planted_probability_as_numbers():
    import numpy as np

    from reviewgen.data.synthetic.phrases import p_high
    from reviewgen.evaluation.conditioning import p_high as p_high_from_truth

    params = generate_corpus(5, 1).truth["mechanism"]["p_high_params"]
    values = np.linspace(0.0, 1.0, 11)
    assert p_high_from_truth(values, params) == pytest.approx([p_high(v) for v in values])
