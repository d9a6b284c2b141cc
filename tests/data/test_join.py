"""Tests for reviewgen.data.join: name normalisation and attaching features to reviews."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reviewgen.data.join import join_reviews, name_key, normalise_name

NAMES = ["energy", "tempo"]


def reviews(rows: list[tuple[str | None, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"review_id": f"r{n}", "artist": a, "title": t, "track_id": i, "text": f"text {n}"}
         for n, (i, a, t) in enumerate(rows)],
        columns=["review_id", "artist", "title", "track_id", "text"],
    )


def features(rows: list[tuple[str | None, str, str, float, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["track_id", "artist", "title", *NAMES, "feature_source"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Beyoncé", "beyonce"),
        ("Sigur Rós", "sigur ros"),
        ("Crazy in Love (feat. JAY-Z)", "crazy in love"),
        ("Song ft. Someone Else", "song"),
        ("Track [Radio Edit]", "track"),
        ("The Weight - Remastered 2000", "the weight"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("  Don't   Stop!  ", "don t stop"),
        ("Left Behind", "left behind"),  # "ft" only as a word of its own
        ("坂本龍一", "坂本龍一"),  # other scripts keep their letters
        (None, ""),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


def test_name_key_needs_both_parts():
    assert name_key("Björk", "Jóga") == name_key("BJORK", "joga (live)")
    assert name_key("", "Jóga") is None and name_key("Björk", math.nan) is None


def test_joins_by_id_and_by_name():
    given = reviews([("A", "x", "y"), (None, "Beyonce", "Crazy in Love"), ("A", "other", "names")])
    table = features([("A", "x", "y", 0.5, 120.0, "csv"), ("B", "Beyoncé", "Crazy In Love (feat. Jay-Z)",
                                                             0.8, 99.0, "api")])
    joined, report = join_reviews(given, table, NAMES, keep_missing=False)
    assert list(joined.columns) == [*given.columns, *NAMES, "feature_source", "has_features"]
    assert joined["energy"].tolist() == [0.5, 0.8, 0.5]
    assert joined["feature_source"].tolist() == ["csv", "api", "csv"]
    assert joined["review_id"].tolist() == ["r0", "r1", "r2"] and joined["has_features"].all()
    assert (report["matched_by_id"], report["matched_by_name"]) == (2, 1)


def test_review_with_an_id_is_not_matched_by_name():
    # The id is the stronger claim: a name match could be another recording of the song.
    joined, _ = join_reviews(reviews([("Z", "x", "y")]), features([("A", "x", "y", 0.5, 1.0, "csv")]), NAMES,
                             keep_missing=True)
    assert not joined["has_features"].iloc[0]


def test_drops_reviews_without_features_and_counts_them():
    given = reviews([("A", "x", "y"), ("M", "m", "n"), (None, "nobody", "nothing"), (None, "", "")])
    table = features([("A", "x", "y", 0.5, 120.0, "csv"), ("M", "m", "n", math.nan, math.nan, "missing")])
    joined, report = join_reviews(given, table, NAMES, keep_missing=False)
    assert joined["review_id"].tolist() == ["r0"]
    assert report == {"reviews_in": 4, "kept": 1, "matched_by_id": 1, "matched_by_name": 0,
                      "dropped_missing_features": 3, "kept_without_features": 0}


def test_keep_missing_flags_instead_of_dropping():
    given = reviews([("A", "x", "y"), ("M", "m", "n"), (None, "nobody", "nothing")])
    table = features([("A", "x", "y", 0.5, 120.0, "synthetic"),
                      ("M", "m", "n", math.nan, math.nan, "missing")])
    joined, report = join_reviews(given, table, NAMES, keep_missing=True)
    assert joined["has_features"].tolist() == [True, False, False]
    assert joined["feature_source"].tolist() == ["synthetic", "missing", "missing"]
    assert joined["energy"].isna().tolist() == [False, True, True]
    assert (report["kept"], report["dropped_missing_features"], report["kept_without_features"]) == (3, 0, 2)


def test_id_read_back_as_nan_counts_as_no_id():
    # A parquet round trip turns None ids into NaN; those reviews must still match by name.
    given = reviews([(math.nan, "x", "y")])
    joined, _ = join_reviews(given, features([("A", "x", "y", 0.5, 1.0, "csv")]), NAMES, keep_missing=False)
    assert joined["energy"].tolist() == [0.5]


def test_missing_feature_column_is_an_error():
    with pytest.raises(ValueError, match="tempo"):
        table = features([("A", "x", "y", 0.5, 1.0, "csv")]).drop(columns="tempo")
        join_reviews(reviews([("A", "x", "y")]), table, NAMES, keep_missing=False)
