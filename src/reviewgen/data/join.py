"""Attach each review's audio features, and the name normalisation that every track match shares.

Reviews and feature catalogues write the same song differently ("Beyoncé" / "Beyonce",
"Song (feat. X)" / "Song", "Song - Remastered 2011"), so every match by name, here and in
``features.py`` and ``spotify.py``, goes through :func:`name_key` and nothing else.
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd

# Credits and edition notes: catalogues add them and reviews drop them, or the other way round.
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_FEATURING = re.compile(r"\s*\b(?:feat|ft|featuring)\b\.?.*$", re.IGNORECASE)
_EDITION = re.compile(
    r"\s+-\s+.*\b(?:remaster(?:ed)?|version|edit|mix|live|mono|stereo|demo)\b.*$", re.IGNORECASE
)
# Unicode-aware, so names in other scripts keep their letters instead of normalising to "".
_NOT_WORD = re.compile(r"[\W_]+")


def strip_credits(text: str) -> str:
    """``text`` without parentheticals, "feat. ..." tails and " - Remastered ..." edition notes."""
    text = _BRACKETS.sub(" ", text)
    text = _FEATURING.sub("", text)
    text = _EDITION.sub("", text)
    return " ".join(text.split())


def normalise_name(text: object) -> str:
    """Lower-case, accent-free, punctuation-free form of an artist or title; "" for a non-string."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKD", strip_credits(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def name_key(artist: object, title: object) -> str | None:
    """The key two tracks share when they name the same song; None when either part is empty."""
    artist_norm, title_norm = normalise_name(artist), normalise_name(title)
    if not artist_norm or not title_norm:
        return None
    return f"{artist_norm}\t{title_norm}"


def present_id(value: object) -> str | None:
    """A track id as a clean string, or None for None / NaN / blank (pandas turns None into NaN)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _has_values(row: dict, feature_names: list[str]) -> bool:
    for name in feature_names:
        value = row.get(name)
        if value is None or isinstance(value, float) and math.isnan(value):
            return False
    return True


def join_reviews(
    reviews: pd.DataFrame, features: pd.DataFrame, feature_names: list[str], keep_missing: bool
) -> tuple[pd.DataFrame, dict]:
    """Each review with its track's features: by track id when it has one, else by artist and title.

    Reviews without features are dropped, or kept with ``has_features=False`` when ``keep_missing``.
    Returns the joined frame and a report of the counts.
    """
    needed = ["track_id", "artist", "title", "feature_source", *feature_names]
    absent = [c for c in needed if c not in features.columns]
    if absent:
        raise ValueError(f"features table lacks column(s) {absent}")
    clashing = [c for c in [*feature_names, "feature_source", "has_features"] if c in reviews.columns]
    if clashing:
        raise ValueError(f"reviews already have column(s) {clashing}; the join would overwrite them")

    # Only rows with every feature can serve a review; the first such row per id / name wins.
    by_id: dict[str, dict] = {}
    by_name: dict[str, dict] = {}
    for row in features[needed].to_dict("records"):
        if not _has_values(row, feature_names):
            continue
        track_id = present_id(row["track_id"])
        if track_id is not None:
            by_id.setdefault(track_id, row)
        key = name_key(row["artist"], row["title"])
        if key is not None:
            by_name.setdefault(key, row)

    matched_by_id = matched_by_name = 0
    attached: list[dict | None] = []
    for track_id, artist, title in zip(reviews["track_id"], reviews["artist"], reviews["title"], strict=True):
        track_id = present_id(track_id)
        if track_id is not None:
            row = by_id.get(track_id)
            matched_by_id += row is not None
        else:
            row = by_name.get(name_key(artist, title))
            matched_by_name += row is not None
        attached.append(row)

    has = pd.Series([row is not None for row in attached], index=reviews.index, dtype=bool)
    joined = reviews.copy()
    for name in feature_names:
        values = [row[name] if row is not None else math.nan for row in attached]
        joined[name] = pd.Series(values, index=reviews.index, dtype="float64")
    joined["feature_source"] = [row["feature_source"] if row is not None else "missing" for row in attached]
    joined["has_features"] = has
    if not keep_missing:
        joined = joined[has]
    joined = joined.reset_index(drop=True)

    missing = int((~has).sum())
    report = {
        "reviews_in": len(reviews),
        "kept": len(joined),
        "matched_by_id": matched_by_id,
        "matched_by_name": matched_by_name,
        "dropped_missing_features": 0 if keep_missing else missing,
        "kept_without_features": missing if keep_missing else 0,
    }
    return joined, report
