"""Tests for reviewgen.data.features: the synthetic and csv sources, matching, and their errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from reviewgen.config import ConfigError
from reviewgen.data.features import distinct_tracks, fetch_features

NAMES = ["energy", "valence", "danceability", "tempo"]
CSV_HEADER = (
    ",track_id,artists,album_name,track_name,popularity,danceability,energy,valence,tempo,track_genre\n"
)


def reviews(rows: list[tuple[str | None, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"review_id": f"r{n}", "artist": a, "title": t, "track_id": i, "text": "..."} for n, (i, a, t) in
         enumerate(rows)],
        columns=["review_id", "artist", "title", "track_id", "text"],
    )


def cfg(source: str, csv_path: Path | None = None, names: list[str] = NAMES) -> dict:
    return {"source": source, "names": names, "csv_path": str(csv_path) if csv_path else None, "spotify": {}}


@pytest.fixture
def tracks_csv(tmp_path: Path) -> Path:
    """A few rows in the Spotify Tracks Dataset layout, with its unnamed index column and a duplicate."""
    path = tmp_path / "dataset.csv"
    path.write_text(
        CSV_HEADER
        + "0,ID_A,Beyoncé;JAY-Z,Album,Crazy in Love (feat. JAY-Z),80,0.66,0.76,0.70,99.3,pop\n"
        + "1,ID_B,Sigur Rós,Takk,Hoppípolla,60,0.20,0.35,0.10,80.0,ambient\n"
        + "2,ID_B,Sigur Rós,Takk,Hoppípolla,60,0.20,0.35,0.10,80.0,post-rock\n"
        + "3,ID_C,The Band,Hits,The Weight - Remastered 2000,50,0.50,0.40,0.60,,rock\n",
        encoding="utf-8",
    )
    return path


def test_distinct_tracks_by_id_else_by_normalised_name():
    tracks, unnamed = distinct_tracks(
        reviews([("X", "A", "S"), ("X", "A", "S"), (None, "Björk", "Jóga"), (None, "bjork", "joga!"),
                 (None, "", "No artist")])
    )
    assert tracks["track_id"].tolist() == ["X", None]
    assert unnamed == 1


def test_synthetic_passes_the_source_features_through():
    source = pd.DataFrame(
        {"track_id": ["t1", "t2"], "artist": ["A", "B"], "title": ["S", "T"], "energy": [0.1, 0.9],
         "valence": [0.2, 0.8], "danceability": [0.3, 0.7], "tempo": [90.0, 150.0]}
    )
    frame, report = fetch_features(cfg("synthetic"), reviews([("t2", "B", "T"), ("t1", "A", "S"),
                                                              ("t2", "B", "T")]), source)
    assert list(frame.columns) == ["track_id", "artist", "title", *NAMES, "feature_source"]
    assert frame.set_index("track_id").loc["t2", NAMES].tolist() == [0.9, 0.8, 0.7, 150.0]
    assert (frame["feature_source"] == "synthetic").all()
    assert (report["tracks_asked"], report["matched_by_id"], report["missing"]) == (2, 2, 0)


def test_synthetic_without_the_feature_columns_is_an_error():
    with pytest.raises(ConfigError, match="tempo"):
        fetch_features(cfg("synthetic"), reviews([("t1", "A", "S")]),
                       pd.DataFrame({"track_id": ["t1"], "artist": ["A"], "title": ["S"], "energy": [0.1],
                                     "valence": [0.1], "danceability": [0.1]}))


def test_csv_matches_by_id(tracks_csv):
    frame, report = fetch_features(cfg("csv", tracks_csv), reviews([("ID_B", "whoever", "whatever")]), None)
    row = frame.iloc[0]
    assert (row["track_id"], row["energy"], row["tempo"]) == ("ID_B", 0.35, 80.0)
    assert row["feature_source"] == "csv"
    assert report["matched_by_id"] == 1 and report["per_source"] == {"csv": 1}
    assert json.loads(json.dumps(report)) == report


def test_csv_matches_by_artist_and_title_despite_accents_and_credits(tracks_csv):
    given = reviews([(None, "Beyonce", "Crazy In Love"), (None, "JAY Z", "crazy in love"),
                     (None, "Sigur Ros", "Hoppipolla"), ("NOT_IN_TABLE", "sigur rós", "HOPPÍPOLLA!")])
    frame, report = fetch_features(cfg("csv", tracks_csv), given, None)
    assert frame["track_id"].tolist() == ["ID_A", "ID_A", "ID_B", "NOT_IN_TABLE"]
    assert (frame["feature_source"] == "csv").all()
    assert frame["valence"].tolist() == [0.70, 0.70, 0.10, 0.10]
    assert (report["matched_by_id"], report["matched_by_artist_title"], report["missing"]) == (0, 4, 0)


def test_csv_track_with_a_missing_value_counts_as_missing(tracks_csv):
    frame, report = fetch_features(cfg("csv", tracks_csv), reviews([(None, "The Band", "The Weight"),
                                                                    (None, "Nobody", "Nothing")]), None)
    assert frame["feature_source"].tolist() == ["missing", "missing"]
    assert math.isnan(frame["energy"].iloc[0]) and frame["track_id"].isna().all()
    assert report["missing"] == 2 and report["per_source"] == {"missing": 2}


def test_csv_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError, match="nope.csv"):
        fetch_features(cfg("csv", tmp_path / "nope.csv"), reviews([("x", "a", "t")]), None)


def test_csv_missing_schema_column_names_it(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("track_id,track_name,energy,valence,danceability,tempo\nx,t,1,1,1,1\n")
    with pytest.raises(ConfigError, match="'artists'"):
        fetch_features(cfg("csv", path), reviews([("x", "a", "t")]), None)


def test_csv_missing_feature_column_names_it(tracks_csv):
    with pytest.raises(ConfigError, match="'loudness'"):
        fetch_features(cfg("csv", tracks_csv, names=["energy", "loudness"]), reviews([("x", "a", "t")]), None)


def test_unknown_source_and_empty_names_are_config_errors(tracks_csv):
    with pytest.raises(ConfigError, match="features.source"):
        fetch_features(cfg("lastfm"), reviews([("x", "a", "t")]), None)
    with pytest.raises(ConfigError, match="features.names"):
        fetch_features(cfg("csv", tracks_csv, names=[]), reviews([("x", "a", "t")]), None)


BAD_VALUES = [
    # (energy cell, expected reason)
    ("1.7", "out_of_range"),
    ("-0.2", "out_of_range"),
    ("high", "non_numeric"),
    ("", "missing"),
]


@pytest.mark.parametrize(("cell", "reason"), BAD_VALUES)
def test_csv_bad_value_is_dropped_and_counted_by_reason_and_feature(tmp_path, cell, reason):
    path = tmp_path / "bad.csv"
    path.write_text(
        CSV_HEADER
        + f"0,ID_A,Artist A,Album,Song A,80,0.66,{cell},0.70,99.3,pop\n"
        + "1,ID_B,Artist B,Album,Song B,60,0.20,0.35,0.10,80.0,ambient\n",
        encoding="utf-8",
    )
    frame, report = fetch_features(cfg("csv", path), reviews([("ID_A", "x", "y"), ("ID_B", "x", "z")]), None)
    assert report["bad_values"] == {reason: {"energy": 1}}
    assert report["bad_values_total"] == 1
    assert math.isnan(frame.loc[frame["track_id"] == "ID_A", "energy"].iloc[0])
    assert frame.loc[frame["track_id"] == "ID_B", "energy"].iloc[0] == pytest.approx(0.35)


def test_tempo_must_be_positive_and_conflicting_rows_are_counted(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        CSV_HEADER
        + "0,ID_A,Artist A,Album,Song A,80,0.66,0.5,0.70,0,pop\n"
        + "1,ID_B,Artist B,Album,Song B,60,0.20,0.35,0.10,80.0,ambient\n"
        + "2,ID_B,Artist B,Album,Song B,60,0.20,0.90,0.10,80.0,ambient\n"
        + "3,ID_C,Artist C,Album,Song C,60,0.20,0.35,0.10,80.0,ambient\n"
        + "4,ID_C,Artist C,Album,Song C,60,0.20,0.35,0.10,80.0,rock\n",
        encoding="utf-8",
    )
    _, report = fetch_features(cfg("csv", path), reviews([("ID_A", "x", "y")]), None)
    assert report["bad_values"] == {"out_of_range": {"tempo": 1}}
    # ID_C repeats the same values (another genre), so only ID_B conflicts.
    assert report["conflicting_tracks"] == 1


def test_strict_values_names_file_row_and_column_in_one_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        CSV_HEADER
        + "0,ID_A,Artist A,Album,Song A,80,0.66,0.5,0.70,99.3,pop\n"
        + "1,ID_B,Artist B,Album,Song B,60,0.20,high,0.10,80.0,ambient\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        fetch_features({**cfg("csv", path), "strict_values": True}, reviews([("ID_A", "x", "y")]), None)
    message = str(err.value)
    assert "\n" not in message
    assert f"{path}: row 3, column 'energy'" in message
    assert "non numeric" in message and "[0, 1]" in message


def test_synthetic_source_values_are_checked_too():
    source = pd.DataFrame(
        {"track_id": ["A", "B"], "artist": ["a", "b"], "title": ["s", "t"], "energy": [0.5, 1.5]}
    )
    frame, report = fetch_features(
        cfg("synthetic", names=["energy"]), reviews([("A", "a", "s"), ("B", "b", "t")]), source
    )
    assert report["bad_values"] == {"out_of_range": {"energy": 1}}
    assert list(frame["feature_source"]) == ["synthetic", "missing"]
