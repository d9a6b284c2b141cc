"""Per-track audio features from one of three sources: the synthetic corpus, a local table, Spotify.

Every source answers the same question for the distinct tracks of the reviews and returns the same
frame (``track_id, artist, title, <features>, feature_source``) plus a match report, so the stages
after this one never know where the numbers came from.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reviewgen.config import ConfigError, get
from reviewgen.data.feature_ranges import check_values, count_conflicts, report_block
from reviewgen.data.join import name_key, present_id
from reviewgen.io import get_logger

SOURCES = ("synthetic", "csv", "spotify")
# The Spotify Tracks Dataset names; ``artists`` holds every credited artist, ';'-separated.
CSV_ID, CSV_ARTISTS, CSV_TITLE = "track_id", "artists", "track_name"

log = get_logger("data.features")


def distinct_tracks(reviews: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per track the reviews name (by id, else by artist+title), and how many reviews name none."""
    seen: set[str] = set()
    rows, unnamed = [], 0
    for track_id, artist, title in zip(reviews["track_id"], reviews["artist"], reviews["title"], strict=True):
        track_id = present_id(track_id)
        key = track_id if track_id is not None else name_key(artist, title)
        if key is None:
            unnamed += 1
            continue
        # Ids and name keys cannot collide: a name key always holds a tab, an id never does.
        if key not in seen:
            seen.add(key)
            rows.append({"track_id": track_id, "artist": artist, "title": title})
    # dtype=object keeps None as None; pandas would otherwise turn a missing id into NaN.
    return pd.DataFrame(rows, columns=["track_id", "artist", "title"], dtype=object), unnamed


@dataclass(frozen=True)
class Catalogue:
    """A feature table ready for matching: its rows' features and ids, and two lookups to row positions."""

    values: list[dict[str, float]]
    ids: list[object]
    by_id: dict[str, int]
    by_name: dict[str, int]


def make_catalogue(
    table: pd.DataFrame, names: list[str], artists: list[list[str]], titles: pd.Series
) -> Catalogue:
    """Index a feature table by track id and by every (credited artist, title) name key."""
    values = table[names].apply(pd.to_numeric, errors="coerce").to_dict("records")
    by_id: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pos, (track_id, credited, title) in enumerate(zip(table["track_id"], artists, titles, strict=True)):
        track_id = present_id(track_id)
        if track_id is not None:
            by_id.setdefault(track_id, pos)
        for artist in credited:
            key = name_key(artist, title)
            if key is not None:
                by_name.setdefault(key, pos)
    return Catalogue(values, list(table["track_id"]), by_id, by_name)


def match_table(
    tracks: pd.DataFrame, catalogue: Catalogue, names: list[str], label: str
) -> tuple[list[dict], Counter]:
    """Each track's catalogue row: by id, else by name; rows carry ``label`` or ``missing``."""
    counts: Counter = Counter()
    out = []
    for track_id, artist, title in zip(tracks["track_id"], tracks["artist"], tracks["title"], strict=True):
        track_id = present_id(track_id)
        pos = catalogue.by_id.get(track_id) if track_id is not None else None
        how = "id"
        if pos is None:
            # An id the table lacks still gets a chance by name: ids differ between releases of a song.
            pos, how = catalogue.by_name.get(name_key(artist, title)), "name"
        found = catalogue.values[pos] if pos is not None else {}
        complete = pos is not None and all(not math.isnan(found[n]) for n in names)
        counts["matched_by_" + how if complete else "missing"] += 1
        found_id = present_id(catalogue.ids[pos]) if complete else None
        out.append(
            {
                "track_id": track_id if track_id is not None else found_id,
                "artist": artist,
                "title": title,
                **{n: found[n] if complete else math.nan for n in names},
                "feature_source": label if complete else "missing",
            }
        )
    return out, counts


def _checked(
    table: pd.DataFrame, names: list[str], where: str, strict: bool, first_row: int
) -> tuple[pd.DataFrame, Counter, int]:
    """``table`` with its bad values dropped, their counts, and how many tracks have conflicting rows."""
    table, bad = check_values(table, names, where, strict, first_row)
    return table, bad, count_conflicts(table, names)


def _synthetic_catalogue(
    source_features: pd.DataFrame, names: list[str], strict: bool
) -> tuple[Catalogue, Counter, int]:
    absent = [c for c in ["track_id", "artist", "title", *names] if c not in source_features.columns]
    if absent:
        raise ConfigError(
            f"features.source: synthetic uses the features the review source carries; it has no {absent}: "
            "map them in reviews.feature_columns or use features.source: csv"
        )
    table, bad, conflicts = _checked(
        source_features.reset_index(drop=True), names, "synthetic review source", strict, 1
    )
    artists = [[a] for a in table["artist"]]
    return make_catalogue(table, names, artists, table["title"]), bad, conflicts


def _csv_catalogue(path_value: str, names: list[str], strict: bool) -> tuple[Catalogue, Counter, int]:
    path = Path(path_value)
    if not path.is_file():
        raise ConfigError(f"features.csv_path: file {path} not found")
    header = pd.read_csv(path, nrows=0).columns
    for column in [CSV_ID, CSV_ARTISTS, CSV_TITLE]:
        if column not in header:
            raise ConfigError(
                f"features.csv_path: {path} has no column '{column}' (Spotify Tracks Dataset schema)"
            )
    for name in names:
        if name not in header:
            raise ConfigError(f"features.names: '{name}' is not a column of {path}")
    # Features read as text, so a cell such as 'high' is counted as non-numeric rather than guessed at.
    table = pd.read_csv(path, usecols=[CSV_ID, CSV_ARTISTS, CSV_TITLE, *names], dtype=str, keep_default_na=False)
    table[CSV_ID] = table[CSV_ID].replace("", None)
    # Row 1 of the file is its header, so the first data row is row 2.
    table, bad, conflicts = _checked(table, names, str(path), strict, 2)
    artists = [a.split(";") if isinstance(a, str) else [] for a in table[CSV_ARTISTS]]
    log.info("read %d rows from %s", len(table), path)
    return make_catalogue(table, names, artists, table[CSV_TITLE]), bad, conflicts


def _check_spotify(
    rows: list[dict], names: list[str], where: str, strict: bool, counts: Counter
) -> tuple[list[dict], Counter, Counter]:
    """Spotify's answers through the same range check; a track with a dropped value becomes missing."""
    if not rows:
        return rows, Counter(), counts
    # Only answered tracks are checked: an unmatched track is already counted as missing.
    answered = [r for r in rows if r["feature_source"] != "missing"]
    if not answered:
        return rows, Counter(), counts
    checked, bad = check_values(pd.DataFrame(answered), names, f"spotify cache {where}", strict, 1)
    fixed = iter(checked.to_dict("records"))
    out = [next(fixed) if r["feature_source"] != "missing" else r for r in rows]
    for after in out:
        if after["feature_source"] != "missing" and any(math.isnan(after[n]) for n in names):
            # Match counts stay as Spotify answered; per_source and bad_values show the drop.
            after["feature_source"] = "missing"
    return out, bad, counts


def _feature_names(cfg: dict) -> list[str]:
    names = get(cfg, "names", list, "features")
    if not names or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise ConfigError(f"params: 'features.names' must be distinct non-empty names, got {names!r}")
    return names


def fetch_features(
    cfg: dict, reviews: pd.DataFrame, source_features: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """Features for every distinct track of ``reviews`` from ``cfg["source"]``, and a match report.

    ``cfg`` is the ``features`` section of params.yaml; ``source_features`` is what the review source
    itself carries (used by ``source: synthetic``).
    """
    source = get(cfg, "source", str, "features", choices=SOURCES)
    names = _feature_names(cfg)
    strict = get(cfg, "strict_values", bool, "features", default=False)
    tracks, unnamed = distinct_tracks(reviews)
    extra: dict = {}
    bad: Counter = Counter()
    conflicts = 0
    if source == "synthetic":
        catalogue, bad, conflicts = _synthetic_catalogue(source_features, names, strict)
        rows, counts = match_table(tracks, catalogue, names, "synthetic")
    elif source == "csv":
        catalogue, bad, conflicts = _csv_catalogue(get(cfg, "csv_path", str, "features"), names, strict)
        rows, counts = match_table(tracks, catalogue, names, "csv")
    else:
        # Imported here so the synthetic and csv sources work without touching the network client.
        from reviewgen.data.spotify import fetch_spotify

        spotify_cfg = get(cfg, "spotify", dict, "features")
        rows, counts, extra = fetch_spotify(spotify_cfg, tracks, names)
        rows, bad, counts = _check_spotify(rows, names, str(spotify_cfg.get("cache")), strict, counts)

    columns = ["track_id", "artist", "title", *names, "feature_source"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame[names] = frame[names].astype("float64")
    report = {
        "source": source,
        "features": names,
        "tracks_asked": len(tracks),
        "reviews_without_track": unnamed,
        "matched_by_id": counts["matched_by_id"],
        "matched_by_artist_title": counts["matched_by_name"],
        "missing": counts["missing"],
        "per_source": {k: int(v) for k, v in frame["feature_source"].value_counts().sort_index().items()},
        **report_block(bad, conflicts),
        **extra,
    }
    log.info(
        "%s features: %d tracks, %d by id, %d by artist+title, %d missing",
        source, len(tracks), report["matched_by_id"], report["matched_by_artist_title"], report["missing"],
    )
    return frame, report

