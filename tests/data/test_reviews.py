"""Tests for reviewgen.data.reviews: every source into one schema, drop counting, clear source errors."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from reviewgen.config import ConfigError
from reviewgen.data.reviews import DROP_REASONS, SCHEMA, ReviewSourceError, fetch_reviews

HYPE_HEADER = "artist,song_title,content,spotify_id\n"
HYPE_COLUMNS = dict(
    review_id=None, artist="artist", title="song_title", text="content", track_id="spotify_id"
)


def make_cfg(source: str, path: Path | None = None, **overrides) -> dict:
    """The ``reviews`` section as params.yaml ships it, pointed at ``path``."""
    cfg = {
        "source": source,
        "path": str(path) if path else None,
        "columns": dict(HYPE_COLUMNS),
        "feature_columns": {},
        "max_chars": 50000,
        "synthetic": {"n_reviews": 3, "seed": 13},
    }
    cfg.update(overrides)
    return cfg


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def drops(**counts: int) -> dict[str, int]:
    return {**dict.fromkeys(DROP_REASONS, 0), **counts}


def assert_consistent(fetched) -> None:
    report = fetched.report
    assert list(fetched.reviews.columns) == list(SCHEMA)
    assert set(report["dropped"]) == set(DROP_REASONS)
    assert report["rows_read"] == report["rows_kept"] + sum(report["dropped"].values())
    assert report["rows_kept"] == len(fetched.reviews)
    assert fetched.reviews["review_id"].is_unique
    json.dumps(report)  # the report is written as JSON by the stage


# --- csv ---------------------------------------------------------------------------------------------


def test_csv_happy_path_normalises_schema_and_whitespace(tmp_path):
    path = write_bytes(
        tmp_path / "hype.csv",
        (HYPE_HEADER + 'Björk, Army of Me ,"Loud\n\n  and   clear.\t",sp1\nNA,None,Fine text.,\n').encode(),
    )
    fetched = fetch_reviews(make_cfg("csv", path))
    assert_consistent(fetched)
    # "NA" and "None" are names, not missing values; a blank track id is None, not "" or NaN.
    assert fetched.reviews.values.tolist() == [
        ["row-1", "Björk", "Army of Me", "sp1", "Loud and clear."],
        ["row-2", "NA", "None", None, "Fine text."],
    ]
    assert fetched.truth == {"source": "csv", "words": {}}
    assert fetched.report["source"] == "csv" and fetched.report["path"] == str(path)
    assert fetched.report["dropped"] == drops()
    assert list(fetched.source_features.columns) == ["track_id", "artist", "title"]
    assert fetched.source_features.empty


def test_csv_column_mapping_with_ids_and_no_track_ids(tmp_path):
    path = write_bytes(tmp_path / "own.csv", b"id,band,album,body,extra\n7,A,X,Good.,z\n9,B,Y,Bad.,z\n")
    columns = {"review_id": "id", "artist": "band", "title": "album", "text": "body", "track_id": None}
    fetched = fetch_reviews(make_cfg("csv", path, columns=columns))
    assert fetched.reviews["review_id"].tolist() == ["7", "9"]
    assert fetched.reviews["artist"].tolist() == ["A", "B"]
    assert fetched.reviews["track_id"].tolist() == [None, None]


def test_csv_feature_columns_give_one_row_per_distinct_track(tmp_path):
    path = write_bytes(
        tmp_path / "f.csv",
        (
            HYPE_HEADER.rstrip("\n") + ",nrg\n"
            "A,X,one.,t1,0.5\nA,X,two.,t1,0.9\nB,Y,three.,,\nB,Y,four.,,0.1\nC,Z,five.,t3,loud\n"
        ).encode(),
    )
    fetched = fetch_reviews(make_cfg("csv", path, feature_columns={"energy": "nrg"}))
    features = fetched.source_features
    assert list(features.columns) == ["track_id", "artist", "title", "energy"]
    # t1 once (first row wins); the untracked B/Y keyed by artist and title; "loud" is no number.
    assert features["track_id"].tolist() == ["t1", None, "t3"]
    assert features["energy"].tolist()[0] == 0.5
    assert features["energy"].iloc[1:].isna().all()
    assert features["energy"].dtype == float


def test_csv_every_drop_reason_is_counted(tmp_path):
    long_text = "word " * 30
    data = (
        b"id,artist,song_title,content,spotify_id\n"
        b"1,A,X,Kept one.,t1\n"
        b"2,A,X,   ,t2\n"  # whitespace only
        b"3,A,X,,t3\n"  # empty
        b"1,B,Y,Same id again.,t4\n"  # duplicate of id 1
        b"4,C\xff,Z,Bad bytes in artist.,t5\n"  # invalid UTF-8
        b"5,D,W,Caf\xe9 latin-1.,t6\n"  # invalid UTF-8 in text
        b"6,E,V," + long_text.encode() + b",t7\n"
        b"7,,V,No artist.,t8\n"
        b"8,F,,No title.,t9\n"
        b",G,U,No id.,t10\n"
        b"10,I,S\n"  # short row: no text
        b"11,J,R,,t12\n"  # empty, and its id comes again below
        b"11,J,R,Second copy.,t13\n"  # kept: a broken first copy does not cost the good one
        b"9,H,T,Kept two.,t11\n"
    )
    path = write_bytes(tmp_path / "bad.csv", data)
    columns = {**HYPE_COLUMNS, "review_id": "id"}
    fetched = fetch_reviews(make_cfg("csv", path, columns=columns, max_chars=100))
    assert_consistent(fetched)
    assert fetched.reviews["review_id"].tolist() == ["1", "11", "9"]
    assert fetched.reviews["text"].tolist() == ["Kept one.", "Second copy.", "Kept two."]
    assert fetched.report["rows_read"] == 14
    assert fetched.report["dropped"] == drops(
        undecodable=2, missing_key=3, empty_text=4, too_long=1, duplicate_id=1
    )
    assert not any("\ufffd" in t for t in fetched.reviews["text"])  # nothing replaced silently


def test_csv_missing_column_names_column_file_and_key(tmp_path):
    path = write_bytes(tmp_path / "x.csv", b"artist,song_title,body,spotify_id\nA,X,t,s\n")
    with pytest.raises(ReviewSourceError) as err:
        fetch_reviews(make_cfg("csv", path))
    assert str(err.value) == f"{path}: missing column 'content' (mapped from reviews.columns.text)"


@pytest.mark.parametrize(
    "data",
    [b"", HYPE_HEADER.encode() + b"A,X,t,s,extra\n", HYPE_HEADER.encode() + b"A,X,t,s\nB,Y,t,s,extra\n"],
    ids=["empty", "long-first-row", "long-later-row"],
)
def test_csv_unreadable_is_one_line_error(tmp_path, data):
    path = write_bytes(tmp_path / "u.csv", data)
    with pytest.raises(ReviewSourceError, match="not a readable CSV file") as err:
        fetch_reviews(make_cfg("csv", path))
    assert "\n" not in str(err.value)


def test_missing_file_is_clear_error(tmp_path):
    with pytest.raises(ReviewSourceError, match=r"nope\.csv: review source not found"):
        fetch_reviews(make_cfg("csv", tmp_path / "nope.csv"))


def test_nothing_kept_is_an_error_with_counts(tmp_path):
    path = write_bytes(tmp_path / "e.csv", (HYPE_HEADER + "A,X,,\nB,Y,  ,\n").encode())
    with pytest.raises(ReviewSourceError, match="no reviews kept out of 2 rows read.*empty_text=2"):
        fetch_reviews(make_cfg("csv", path))


def test_bad_config_is_config_error(tmp_path):
    path = write_bytes(tmp_path / "c.csv", (HYPE_HEADER + "A,X,t,s\n").encode())
    with pytest.raises(ConfigError, match="reviews.columns.txt"):
        fetch_reviews(make_cfg("csv", path, columns={**HYPE_COLUMNS, "txt": "x"}))
    with pytest.raises(ConfigError, match="reviews.source"):
        fetch_reviews(make_cfg("parquet", path))
    with pytest.raises(ConfigError, match="reviews.path"):
        fetch_reviews(make_cfg("csv", None))


# --- jsonl -------------------------------------------------------------------------------------------


def jsonl(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def test_jsonl_happy_path_and_every_bad_line(tmp_path):
    good = {"artist": "A", "song_title": "X", "content": "  Spaced   out. ", "spotify_id": "t1"}
    path = write_bytes(
        tmp_path / "r.jsonl",
        jsonl(
            json.dumps(good).encode(),
            b"",  # blank lines are not rows
            b'{"artist": "B", "song_title": "Y", "content": "cut off',
            b"[1, 2]",
            b'{"artist": ["B"], "song_title": "Y", "content": "list artist"}',
            b'{"artist": "C", "song_title": "Z", "content": "caf\xe9"}',
            b'{"artist": "D", "song_title": "W", "content": 42}',
            b'{"artist": "E", "content": "no title key"}',
            json.dumps(good).encode(),  # same content, but the id comes from the line, so kept
        ),
    )
    fetched = fetch_reviews(make_cfg("jsonl", path))
    assert_consistent(fetched)
    assert fetched.reviews["review_id"].tolist() == ["row-1", "row-7", "row-9"]
    assert fetched.reviews["text"].tolist() == ["Spaced out.", "42", "Spaced out."]
    assert fetched.reviews["track_id"].tolist() == ["t1", None, "t1"]
    assert fetched.report["rows_read"] == 8
    assert fetched.report["dropped"] == drops(malformed=3, undecodable=1, missing_key=1)


def test_jsonl_mapped_ids_and_features(tmp_path):
    records = [
        {"id": 5, "band": "A", "song": "X", "body": "One.", "tid": "t1", "bpm": 120},
        {"id": 6, "band": "A", "song": "X", "body": "Two.", "tid": "t1", "bpm": 99},
        {"id": 5, "band": "B", "song": "Y", "body": "Same id.", "tid": "t2", "bpm": 80},
    ]
    path = write_bytes(tmp_path / "m.jsonl", jsonl(*(json.dumps(r).encode() for r in records)))
    columns = {"review_id": "id", "artist": "band", "title": "song", "text": "body", "track_id": "tid"}
    fetched = fetch_reviews(make_cfg("jsonl", path, columns=columns, feature_columns={"tempo": "bpm"}))
    assert fetched.reviews["review_id"].tolist() == ["5", "6"]  # JSON numbers become string ids
    assert fetched.report["dropped"]["duplicate_id"] == 1
    # Features only from kept rows: t2 came with a dropped duplicate, so it is not a track here.
    assert fetched.source_features.to_dict("records") == [
        {"track_id": "t1", "artist": "A", "title": "X", "tempo": 120.0}
    ]


def test_jsonl_column_absent_from_every_record_is_error(tmp_path):
    path = write_bytes(
        tmp_path / "r.jsonl", jsonl(b'{"artist": "A", "song_title": "X", "body": "t", "spotify_id": "s"}')
    )
    with pytest.raises(ReviewSourceError) as err:
        fetch_reviews(make_cfg("jsonl", path))
    assert str(err.value) == f"{path}: missing column 'content' (mapped from reviews.columns.text)"


def test_jsonl_binary_garbage_is_error(tmp_path):
    path = write_bytes(tmp_path / "r.jsonl", b"\x00\x01\xff\xfe\n\x89PNG\r\n")
    with pytest.raises(ReviewSourceError, match="no reviews kept.*malformed=2"):
        fetch_reviews(make_cfg("jsonl", path))


# --- sqlite ------------------------------------------------------------------------------------------


def make_pitchfork(path: Path, reviews, content, drop: str | None = None) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE reviews (reviewid INTEGER, title TEXT, artist TEXT, score REAL)")
    conn.execute("CREATE TABLE content (reviewid INTEGER, content TEXT)")
    conn.executemany("INSERT INTO reviews VALUES (?, ?, ?, 5.0)", reviews)
    conn.executemany("INSERT INTO content VALUES (?, ?)", content)
    if drop:
        conn.execute(f"DROP TABLE {drop}")
    conn.commit()
    conn.close()
    return path


def test_sqlite_happy_path_and_duplicate_content(tmp_path):
    path = make_pitchfork(
        tmp_path / "p.sqlite",
        reviews=[(22, "Album B", "Band B"), (11, "Album A", "Band A"), (33, "Album C", "Band C")],
        content=[(11, "A  review."), (22, "B review."), (11, "A  review."), (33, b"caf\xe9")],
    )
    fetched = fetch_reviews(make_cfg("sqlite", path))
    assert_consistent(fetched)
    # Table order of `reviews`, not reviewid order; the repeated content row is a duplicate.
    assert fetched.reviews.values.tolist() == [
        ["22", "Band B", "Album B", None, "B review."],
        ["11", "Band A", "Album A", None, "A review."],
    ]
    assert fetched.report["dropped"]["duplicate_id"] == 1
    assert fetched.report["dropped"]["undecodable"] == 1
    assert list(fetched.source_features.columns) == ["track_id", "artist", "title"]
    assert fetched.source_features.empty
    assert fetched.truth == {"source": "sqlite", "words": {}}


def test_sqlite_missing_table_and_column(tmp_path):
    path = make_pitchfork(tmp_path / "p.sqlite", [(1, "T", "A")], [(1, "x")], drop="content")
    with pytest.raises(ReviewSourceError, match=r"p\.sqlite: missing table 'content'"):
        fetch_reviews(make_cfg("sqlite", path))
    other = tmp_path / "q.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE reviews (reviewid INTEGER, artist TEXT)")
    conn.execute("CREATE TABLE content (reviewid INTEGER, content TEXT)")
    conn.close()
    with pytest.raises(ReviewSourceError, match="missing column 'title' in table 'reviews'"):
        fetch_reviews(make_cfg("sqlite", other))


def test_sqlite_not_a_database(tmp_path):
    path = write_bytes(tmp_path / "p.sqlite", b"this is not a database, just text\n" * 200)
    with pytest.raises(ReviewSourceError, match="not a readable SQLite database"):
        fetch_reviews(make_cfg("sqlite", path))


# --- synthetic ---------------------------------------------------------------------------------------


@pytest.fixture
def fake_generator(monkeypatch):
    calls = []

    def generate_corpus(n_reviews, seed):
        calls.append((n_reviews, seed))
        reviews = pd.DataFrame(
            {
                "review_id": [f"r{i}" for i in range(n_reviews)],
                "artist": ["A"] * n_reviews,
                "title": [f"T{i}" for i in range(n_reviews)],
                "track_id": [f"t{i}" for i in range(n_reviews)],
                "text": [f"Review {i}." for i in range(n_reviews)],
                "sentences": [[f"Review {i}."] for i in range(n_reviews)],
            }
        )
        tracks = reviews[["track_id", "artist", "title"]].assign(
            energy=0.5, valence=0.1, danceability=0.2, tempo=120.0
        )
        return types.SimpleNamespace(reviews=reviews, tracks=tracks, truth={"words": {"x": 1}})

    module = types.ModuleType("reviewgen.data.synthetic")
    module.generate_corpus = generate_corpus
    monkeypatch.setitem(sys.modules, "reviewgen.data.synthetic", module)
    return calls


def test_synthetic_uses_generator_and_drops_sentences(fake_generator):
    fetched = fetch_reviews(make_cfg("synthetic", synthetic={"n_reviews": 4, "seed": 7}))
    assert fake_generator == [(4, 7)]
    assert_consistent(fetched)
    assert fetched.reviews["review_id"].tolist() == ["r0", "r1", "r2", "r3"]
    assert (
        list(fetched.source_features.columns)
        == "track_id artist title energy valence danceability tempo".split()
    )
    assert fetched.truth == {"words": {"x": 1}}  # the generator's truth, passed through
    assert fetched.report["path"] is None and fetched.report["rows_kept"] == 4


# --- cross-cutting -----------------------------------------------------------------------------------


def test_output_is_deterministic_and_in_file_order(tmp_path):
    lines = [f"Band {i},Song {i},Text {i}.,t{i}" for i in (5, 3, 9, 1)]
    path = write_bytes(tmp_path / "o.csv", (HYPE_HEADER + "\n".join(lines) + "\n").encode())
    first = fetch_reviews(make_cfg("csv", path))
    second = fetch_reviews(make_cfg("csv", path))
    pd.testing.assert_frame_equal(first.reviews, second.reviews)
    assert first.report == second.report
    assert first.reviews["track_id"].tolist() == ["t5", "t3", "t9", "t1"]


def test_logs_one_summary_line(tmp_path, caplog):
    path = write_bytes(tmp_path / "l.csv", (HYPE_HEADER + "A,X,t.,s\nB,Y,,s\n").encode())
    with caplog.at_level(logging.INFO, logger="reviewgen"):
        fetch_reviews(make_cfg("csv", path))
    messages = [r.getMessage() for r in caplog.records if r.name == "reviewgen.reviews"]
    assert messages == [f"{path}: read 2 rows, kept 1, dropped empty_text=1"]
