"""Tests for reviewgen.data.spotify: real spotipy over real HTTP against a local Spotify stand-in."""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path

import pandas as pd
import pytest

from reviewgen.data.features import fetch_features
from reviewgen.data.spotify import ENV_ID, ENV_SECRET, SpotifyError
from tests.data.spotify_server import SpotifyStub

CLIENT_ID, CLIENT_SECRET = "stub-client-id", "s3cr3t-never-logged"
NAMES = ["energy", "valence", "danceability", "tempo"]


def tid(i: int) -> str:
    """A well-formed (base-62) Spotify id."""
    return f"t{i:021d}"


def reviews(rows: list[tuple[str | None, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"review_id": f"r{n}", "artist": a, "title": t, "track_id": i, "text": "..."} for n, (i, a, t) in
         enumerate(rows)],
        columns=["review_id", "artist", "title", "track_id", "text"],
    )


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_ID, CLIENT_ID)
    monkeypatch.setenv(ENV_SECRET, CLIENT_SECRET)
    # A proxy from the environment must not swallow the loopback requests.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with SpotifyStub(CLIENT_ID, CLIENT_SECRET) as server:
        for i in range(250):
            server.add_track(tid(i), f"Artist {i}", f"Song {i}", energy=i / 250, valence=0.5,
                             danceability=0.25, tempo=100.0 + i, mode=1)
        yield server


def make_cfg(stub: SpotifyStub, tmp_path: Path, **spotify) -> dict:
    settings = {"cache": str(tmp_path / "cache" / "spotify.json"), "max_retry_after": 5, "retries": 2,
                "backoff": 0.01, "timeout": 5, "api_base": stub.base_url}
    return {"source": "spotify", "names": NAMES, "csv_path": None, "spotify": settings | spotify}


def test_fetches_features_by_id_and_marks_unknown_ids_missing(stub, tmp_path):
    frame, report = fetch_features(
        make_cfg(stub, tmp_path), reviews([(tid(3), "Artist 3", "Song 3"), (tid(999), "Nobody", "Nothing")]),
        pd.DataFrame(),
    )
    row = frame.set_index("track_id").loc[tid(3)]
    assert (row["energy"], row["tempo"], row["feature_source"]) == (3 / 250, 103.0, "api")
    assert frame.set_index("track_id").loc[tid(999), "feature_source"] == "missing"
    assert (report["matched_by_id"], report["missing"]) == (1, 1)
    assert report["per_source"] == {"api": 1, "missing": 1}
    assert stub.count("token") == 1 and stub.count("audio-features") == 1 and stub.count("search") == 0


def test_searches_tracks_without_ids_by_artist_and_title(stub, tmp_path):
    frame, report = fetch_features(
        make_cfg(stub, tmp_path),
        reviews([(None, "Artist 7", "Song 7 (feat. Guest)"), (None, "Unknown", "Unheard")]),
        pd.DataFrame(),
    )
    queries = [detail for name, detail in stub.calls if name == "search"]
    assert {"q": 'artist:"Artist 7" track:"Song 7"', "limit": "1"} in queries
    found = frame[frame["artist"] == "Artist 7"].iloc[0]
    assert (found["track_id"], found["feature_source"]) == (tid(7), "api")
    assert (report["matched_by_artist_title"], report["missing"]) == (1, 1)
    # Only the found id is asked for; the unfound track is not sent to audio-features at all.
    assert [d["ids"] for n, d in stub.calls if n == "audio-features"] == [[tid(7)]]


def test_batches_at_most_100_ids_per_call(stub, tmp_path):
    frame, _ = fetch_features(make_cfg(stub, tmp_path), reviews([(tid(i), "a", "t") for i in range(250)]),
                              pd.DataFrame())
    sizes = [len(d["ids"]) for n, d in stub.calls if n == "audio-features"]
    assert sizes == [100, 100, 50]
    assert (frame["feature_source"] == "api").all() and len(frame) == 250


def test_rerun_answers_from_the_cache_without_any_request(stub, tmp_path, monkeypatch):
    cfg = make_cfg(stub, tmp_path)
    given = reviews([(tid(1), "Artist 1", "Song 1"), (None, "Artist 2", "Song 2"), (None, "No", "Match")])
    first, _ = fetch_features(cfg, given, pd.DataFrame())
    stub.calls.clear()
    # No credentials either: a fully cached run never logs in.
    monkeypatch.delenv(ENV_ID)
    monkeypatch.delenv(ENV_SECRET)
    second, report = fetch_features(cfg, given, pd.DataFrame())
    assert stub.calls == []
    pd.testing.assert_frame_equal(first, second)
    assert report["spotify_requests"] == {}
    cached = json.loads(Path(cfg["spotify"]["cache"]).read_text())
    assert cached["search"]["no\tmatch"] is None  # "not found" is an answer too


def test_missing_credentials_name_the_variables(stub, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_SECRET)
    with pytest.raises(SpotifyError, match=f"{ENV_SECRET}") as err:
        fetch_features(make_cfg(stub, tmp_path), reviews([(tid(1), "a", "t")]), pd.DataFrame())
    assert ENV_ID in str(err.value)


def test_rejected_credentials_fail_clearly_without_the_secret(stub, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SECRET, "wrong-secret-value")
    with pytest.raises(SpotifyError, match="rejected the app credentials") as err:
        fetch_features(make_cfg(stub, tmp_path), reviews([(tid(1), "a", "t")]), pd.DataFrame())
    assert "wrong-secret-value" not in str(err.value) and err.value.__cause__ is None


def test_expired_token_401_on_the_api_is_a_credentials_error(stub, tmp_path):
    stub.script("audio-features", (401, {}))
    with pytest.raises(SpotifyError, match=f"{ENV_ID} and {ENV_SECRET}"):
        fetch_features(make_cfg(stub, tmp_path), reviews([(tid(1), "a", "t")]), pd.DataFrame())


def test_restricted_audio_features_403_points_to_the_csv_source(stub, tmp_path):
    stub.script("audio-features", (403, {}))
    with pytest.raises(SpotifyError) as err:
        fetch_features(make_cfg(stub, tmp_path), reviews([(tid(1), "a", "t")]), pd.DataFrame())
    assert "November 2024" in str(err.value) and "features.source: csv" in str(err.value)


def test_rate_limit_within_the_cap_waits_and_retries(stub, tmp_path):
    stub.script("audio-features", (429, {"Retry-After": "1"}))
    start = time.monotonic()
    frame, _ = fetch_features(make_cfg(stub, tmp_path), reviews([(tid(1), "a", "t")]), pd.DataFrame())
    assert time.monotonic() - start >= 0.95
    assert stub.count("audio-features") == 2 and frame["feature_source"].tolist() == ["api"]


def test_rate_limit_beyond_the_cap_fails_fast_keeping_the_cache(stub, tmp_path):
    cfg = make_cfg(stub, tmp_path)
    stub.script("audio-features", None, (429, {"Retry-After": "3600"}))
    start = time.monotonic()
    with pytest.raises(SpotifyError, match="3600 s") as err:
        fetch_features(cfg, reviews([(tid(i), "a", "t") for i in range(150)]), pd.DataFrame())
    assert time.monotonic() - start < 3
    assert "max_retry_after" in str(err.value)
    cached = json.loads(Path(cfg["spotify"]["cache"]).read_text())
    assert len(cached["features"]) == 100  # the first batch survives for the rerun
    stub.calls.clear()
    frame, _ = fetch_features(cfg, reviews([(tid(i), "a", "t") for i in range(150)]), pd.DataFrame())
    assert [len(d["ids"]) for n, d in stub.calls if n == "audio-features"] == [50]
    assert (frame["feature_source"] == "api").all()


def test_server_error_is_retried_then_succeeds(stub, tmp_path):
    stub.script("audio-features", (500, {}))
    frame, _ = fetch_features(make_cfg(stub, tmp_path), reviews([(tid(1), "a", "t")]), pd.DataFrame())
    assert stub.count("audio-features") == 2 and frame["feature_source"].tolist() == ["api"]


def test_persistent_server_errors_fail_after_the_retries(stub, tmp_path):
    stub.script("audio-features", *[(503, {})] * 5)
    with pytest.raises(SpotifyError, match="kept failing"):
        fetch_features(make_cfg(stub, tmp_path, retries=1), reviews([(tid(1), "a", "t")]), pd.DataFrame())
    assert stub.count("audio-features") == 2


def test_secret_and_token_never_reach_logs_cache_or_report(stub, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = make_cfg(stub, tmp_path)
    given = reviews([(tid(1), "a", "t"), (None, "Artist 2", "Song 2")])
    _, report = fetch_features(cfg, given, pd.DataFrame())
    assert "Sending" in caplog.text  # spotipy's header-logging debug lines were captured
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    cache_text = Path(cfg["spotify"]["cache"]).read_text()
    for secret in (CLIENT_SECRET, basic, stub.token):
        assert secret not in caplog.text
        assert secret not in cache_text
        assert secret not in json.dumps(report)


def test_unknown_feature_name_is_a_config_error(stub, tmp_path):
    cfg = make_cfg(stub, tmp_path) | {"names": ["energy", "loudness"]}
    with pytest.raises(ValueError, match="loudness"):
        fetch_features(cfg, reviews([(tid(1), "a", "t")]), pd.DataFrame())
