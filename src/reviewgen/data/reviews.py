"""Fetch music reviews from any supported source into one normalised schema.

Every source (the synthetic generator, a CSV or JSONL file, a Pitchfork-style SQLite database) is read
into plain row dicts, then one cleaning pass drops bad rows and counts each drop under one reason, so
the report says exactly what was lost: ``rows_read == rows_kept + sum(dropped.values())``.

Bytes that are not valid UTF-8 are decoded with ``surrogateescape``, so they survive as lone surrogates
and the cleaning pass can drop the row (``undecodable``) instead of a replacement character slipping
into training text. Rows stay plain Python until they are clean because pandas' string columns refuse
lone surrogates.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reviewgen.config import ConfigError, get
from reviewgen.io import get_logger

SOURCES = ("synthetic", "csv", "jsonl", "sqlite")
SCHEMA = ("review_id", "artist", "title", "track_id", "text")
KEY_COLUMNS = ("track_id", "artist", "title")
# In the order they are checked: a row is counted once, under the first reason that applies.
# duplicate_id comes last so a broken first copy of an id does not cost the good second copy.
DROP_REASONS = ("malformed", "undecodable", "missing_key", "empty_text", "too_long", "duplicate_id")
_OPTIONAL = ("review_id", "track_id")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PITCHFORK_TABLES = {"reviews": ("reviewid", "artist", "title"), "content": ("reviewid", "content")}
_PITCHFORK_QUERY = (
    "SELECT r.reviewid, r.artist, r.title, c.content FROM reviews r JOIN content c USING (reviewid) "
    "ORDER BY r.rowid, c.rowid"
)


class ReviewSourceError(ValueError):
    """A review source that cannot be read at all: missing file, table or column, unreadable format."""


@dataclass
class FetchedReviews:
    reviews: pd.DataFrame  # exactly SCHEMA, object columns; track_id is None where the source has none
    source_features: pd.DataFrame  # track_id, artist, title, then the features the source carries
    truth: dict[str, Any]  # the generator's truth, or {"source": name, "words": {}} for real sources
    report: dict[str, Any]  # source, path, rows_read, rows_kept, dropped (every reason, 0 included)


@dataclass(frozen=True)
class _Field:
    name: str  # normalised name (a SCHEMA column or a feature name)
    column: str | None  # column in the file; None for an unmapped optional column
    origin: str  # the params key that maps it, for error messages


def fetch_reviews(cfg: dict[str, Any]) -> FetchedReviews:
    """Read the ``reviews`` source named in ``cfg`` (the ``reviews`` section of params.yaml) and clean it."""
    source = get(cfg, "source", str, "reviews", choices=SOURCES)
    max_chars = get(cfg, "max_chars", int, "reviews", minimum=1)
    path: Path | None = None
    features: list[str] = []
    tracks: pd.DataFrame | None = None
    malformed = 0
    if source == "synthetic":
        rows, tracks, truth = _read_synthetic(cfg)
    else:
        path = Path(get(cfg, "path", str, "reviews"))
        if not path.is_file():
            raise ReviewSourceError(f"{path}: review source not found (reviews.path, source {source})")
        truth = {"source": source, "words": {}}
        if source == "sqlite":
            rows = _read_sqlite(path)
        else:
            fields = _fields(cfg)
            features = [f.name for f in fields if f.name not in SCHEMA]
            if source == "csv":
                rows = _read_csv(path, fields)
            else:
                rows, malformed = _read_jsonl(path, fields)

    kept, dropped = _clean(rows, max_chars)
    dropped["malformed"] = malformed
    where = str(path) if path else source
    read = len(rows) + malformed
    if not kept:
        counts = _counts(dropped)
        raise ReviewSourceError(f"{where}: no reviews kept out of {read} rows read (dropped: {counts})")
    reviews = pd.DataFrame([[row[c] for c in SCHEMA] for row in kept], columns=list(SCHEMA), dtype=object)
    if tracks is None:
        tracks = _distinct_tracks(kept, features)
    report = {
        "source": source,
        "path": str(path) if path else None,
        "rows_read": read,
        "rows_kept": len(kept),
        "dropped": dropped,
    }
    get_logger("reviews").info(
        "%s: read %d rows, kept %d, dropped %s", where, read, len(kept), _counts(dropped) or "none"
    )
    return FetchedReviews(reviews=reviews, source_features=tracks, truth=truth, report=report)


def _fields(cfg: dict[str, Any]) -> list[_Field]:
    """The file columns to read: the SCHEMA mapping in ``columns``, then ``feature_columns``."""
    columns = get(cfg, "columns", dict, "reviews")
    unknown = sorted(set(columns) - set(SCHEMA))
    if unknown:
        raise ConfigError(f"params: unknown key 'reviews.columns.{unknown[0]}' (known: {', '.join(SCHEMA)})")
    fields = []
    for name in SCHEMA:
        optional = {"default": None} if name in _OPTIONAL else {}
        fields.append(
            _Field(name, get(columns, name, str, "reviews.columns", **optional), f"reviews.columns.{name}")
        )
    for name in get(cfg, "feature_columns", dict, "reviews", default={}):
        if name in SCHEMA:
            raise ConfigError(f"params: 'reviews.feature_columns.{name}' clashes with a review column")
        fields.append(
            _Field(
                name,
                get(cfg["feature_columns"], name, str, "reviews.feature_columns"),
                f"reviews.feature_columns.{name}",
            )
        )
    return fields


def _check_columns(path: Path, present: Iterable[str], fields: list[_Field]) -> None:
    present = set(present)
    for field in fields:
        if field.column is not None and field.column not in present:
            raise ReviewSourceError(f"{path}: missing column '{field.column}' (mapped from {field.origin})")


def _row(fields: list[_Field], values: dict[str, Any], number: int) -> dict[str, Any]:
    """One row in normalised names; an unmapped review_id is made from the row ``number``."""
    row = {}
    for field in fields:
        if field.column is not None:
            row[field.name] = values.get(field.column)
        else:
            row[field.name] = f"row-{number}" if field.name == "review_id" else None
    return row


def _read_synthetic(cfg: dict[str, Any]) -> tuple[list[dict[str, Any]], pd.DataFrame, dict[str, Any]]:
    settings = get(cfg, "synthetic", dict, "reviews")
    n_reviews = get(settings, "n_reviews", int, "reviews.synthetic", minimum=1)
    seed = get(settings, "seed", int, "reviews.synthetic")
    # Imported here so that real sources never need the generator (or its word lists).
    from reviewgen.data.synthetic import generate_corpus

    corpus = generate_corpus(n_reviews, seed)
    rows = corpus.reviews.drop(columns="sentences").to_dict("records")
    return rows, corpus.tracks.reset_index(drop=True), dict(corpus.truth)


def _read_csv(path: Path, fields: list[_Field]) -> list[dict[str, Any]]:
    """Rows of a CSV file; ids made from the record number (1 = first data record, not a line number)."""
    try:
        with warnings.catch_warnings():
            # A row longer than the header would be cut short (index_col=False) with only a warning,
            # or turned into an index that shifts every column (the default): the file is malformed.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # object dtype: pandas' string columns reject the surrogates that mark undecodable bytes.
            # keep_default_na=False: an artist called "NA" or "None" is a name, not a missing value.
            table = pd.read_csv(
                path,
                dtype=object,
                keep_default_na=False,
                index_col=False,
                encoding="utf-8",
                encoding_errors="surrogateescape",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError, UnicodeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ReviewSourceError(f"{path}: not a readable CSV file ({reason})") from err
    _check_columns(path, table.columns, fields)
    wanted = sorted({f.column for f in fields if f.column is not None})
    records = table[wanted].to_dict("records")
    return [_row(fields, values, number) for number, values in enumerate(records, start=1)]


def _read_jsonl(path: Path, fields: list[_Field]) -> tuple[list[dict[str, Any]], int]:
    """Rows of a JSON-lines file and the number of malformed lines; ids made from the line number.

    A line that is not a JSON object, or maps a column to a list or object, is malformed. A column no
    record has is an error; a column only some records lack reads as missing in those rows.
    """
    rows, seen, malformed = [], set(), 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                values = json.loads(line.decode("utf-8", "surrogateescape"))
            except ValueError:
                malformed += 1
                continue
            if not isinstance(values, dict) or any(
                isinstance(values.get(f.column), list | dict) for f in fields if f.column is not None
            ):
                malformed += 1
                continue
            seen.update(values)
            rows.append(_row(fields, values, number))
    if rows:
        _check_columns(path, seen, fields)
    return rows, malformed


def _read_sqlite(path: Path) -> list[dict[str, Any]]:
    """Rows of a Pitchfork-style database (tables ``reviews`` and ``content``); it has no track ids.

    Some Pitchfork dumps repeat a reviewid in ``content``. Those repeats are whole copies of the review,
    so concatenating would double the text: each extra row is kept as a row and then counted as a
    ``duplicate_id`` (the first, in table order, wins).
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise ReviewSourceError(f"{path}: cannot open SQLite database ({err})") from err
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, needed in _PITCHFORK_TABLES.items():
            if table not in tables:
                raise ReviewSourceError(
                    f"{path}: missing table '{table}' (Pitchfork layout needs {', '.join(_PITCHFORK_TABLES)})"
                )
            have = {info[1] for info in conn.execute(f"PRAGMA table_info({table})")}
            for column in needed:
                if column not in have:
                    raise ReviewSourceError(f"{path}: missing column '{column}' in table '{table}'")
        # bytes, decoded below per value, so one bad row is dropped rather than failing the query.
        conn.text_factory = bytes
        result = conn.execute(_PITCHFORK_QUERY).fetchall()
    except sqlite3.DatabaseError as err:
        raise ReviewSourceError(f"{path}: not a readable SQLite database ({err})") from err
    finally:
        conn.close()
    rows = []
    for review_id, artist, title, text in result:
        values = [
            v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v
            for v in (review_id, artist, title, text)
        ]
        row = dict(zip(("review_id", "artist", "title", "text"), values, strict=True))
        rows.append(row | {"track_id": None})
    return rows


def _as_text(value: Any) -> str | None:
    """A cell as whitespace-normalised text; None for missing or blank. Numbers (ids) become strings."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    return " ".join(str(value).split()) or None


def _clean(rows: list[dict[str, Any]], max_chars: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows worth keeping, in source order, with their text fields normalised; drop counts by reason."""
    dropped = dict.fromkeys(DROP_REASONS, 0)
    kept, ids = [], set()
    for raw in rows:
        row = dict(raw)
        for name in SCHEMA:
            row[name] = _as_text(row.get(name))
        if any(isinstance(row[name], str) and _SURROGATE.search(row[name]) for name in SCHEMA):
            reason = "undecodable"
        elif row["review_id"] is None or row["artist"] is None or row["title"] is None:
            reason = "missing_key"
        elif row["text"] is None:
            reason = "empty_text"
        elif len(row["text"]) > max_chars:
            reason = "too_long"
        elif row["review_id"] in ids:
            reason = "duplicate_id"
        else:
            ids.add(row["review_id"])
            kept.append(row)
            continue
        dropped[reason] += 1
    return kept, dropped


def _distinct_tracks(rows: list[dict[str, Any]], features: list[str]) -> pd.DataFrame:
    """One row per track among the kept rows (by track_id, else by artist and title), first one wins.

    With no feature columns mapped the source carries no features, so the frame is empty rather than
    a list of keys that would look like feature rows with every value missing.
    """
    if not features:
        return pd.DataFrame(columns=list(KEY_COLUMNS), dtype=object)
    seen, tracks = set(), []
    for row in rows:
        key = row["track_id"] if row["track_id"] is not None else (row["artist"], row["title"])
        if key not in seen:
            seen.add(key)
            tracks.append([row[c] for c in KEY_COLUMNS] + [row[f] for f in features])
    frame = pd.DataFrame(tracks, columns=[*KEY_COLUMNS, *features], dtype=object)
    for name in features:
        frame[name] = frame[name].map(_as_number).astype(float)
    return frame


def _as_number(value: Any) -> float:
    """Features are numbers (energy, tempo, ...): a blank or non-numeric cell is a missing value."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _counts(dropped: dict[str, int]) -> str:
    return ", ".join(f"{reason}={n}" for reason, n in dropped.items() if n)
