"""Audio features from the Spotify Web API through spotipy, with an on-disk cache that makes reruns free.

Track ids come from the reviews or from a search by artist and title; features come from
``audio-features`` in batches of at most 100 ids (spotipy does not split them). Every answer,
"not found" included, goes into a JSON cache written after each batch, so a rerun, or a run resumed
after a failure, never asks again for a track it already has.

Errors end in one :class:`SpotifyError` saying what to do. Rate limits are handled here rather than
by urllib3, whose default sleeps for any Retry-After up to six hours: we honour Retry-After up to
``max_retry_after`` seconds and otherwise stop at once with the cache kept.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError
from tqdm import tqdm
from urllib3.util.retry import Retry

from reviewgen.config import ConfigError, get
from reviewgen.data.join import name_key, present_id, strip_credits
from reviewgen.io import get_logger, read_json, write_json

BATCH = 100  # the most ids Spotify's audio-features endpoint accepts per call
ENV_ID, ENV_SECRET = "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"
RESTRICTED = (
    "Spotify answered 403 Forbidden to audio-features: since November 2024 Spotify has restricted the "
    "audio-features endpoint for new apps, so this app cannot read audio features. Set "
    "'features.source: csv' and 'features.csv_path' to a local Spotify Tracks Dataset table instead."
)
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]+$")  # spotipy rejects anything else before sending it

log = get_logger("data.spotify")


class SpotifyError(RuntimeError):
    """A Spotify fetch that cannot go on; the message says why and what to do."""


class _RedactAuth(logging.Filter):
    """spotipy logs request headers at DEBUG: the Basic header is the client secret, Bearer the token."""

    _AUTH = re.compile(r"\b(Basic|Bearer)\s+[^\s'\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._AUTH.sub(r"\1 <redacted>", record.getMessage()), ()
        return True


@dataclass(frozen=True)
class Settings:
    cache: Path
    max_retry_after: float
    retries: int
    backoff: float
    timeout: float
    api_base: str | None  # serves /api/token and /v1/...; None for Spotify itself


def read_settings(cfg: dict) -> Settings:
    where = "features.spotify"
    api_base = get(cfg, "api_base", str, where, default=None)
    return Settings(
        cache=Path(get(cfg, "cache", str, where)),
        max_retry_after=get(cfg, "max_retry_after", float, where, minimum=0),
        retries=get(cfg, "retries", int, where, minimum=0),
        backoff=get(cfg, "backoff", float, where, minimum=0),
        timeout=get(cfg, "timeout", float, where, minimum=0.001),
        api_base=api_base.rstrip("/") if api_base else None,
    )


class FeatureCache:
    """Search answers (name key -> id or None) and features (id -> numbers or None), kept as JSON."""

    def __init__(self, path: Path):
        self.path = path
        data: dict[str, Any] = {}
        if path.exists():
            try:
                data = read_json(path)
            except ValueError as err:
                raise SpotifyError(f"spotify cache {path} is not valid JSON ({err}); delete it") from None
        self.search: dict[str, str | None] = data.get("search", {})
        self.features: dict[str, dict[str, float] | None] = data.get("features", {})

    def save(self) -> None:
        write_json(self.path, {"version": 1, "search": self.search, "features": self.features})


def make_client(settings: Settings) -> spotipy.Spotify:
    """A client-credentials spotipy client whose only retries are on 5xx, with backoff."""
    missing = [name for name in (ENV_ID, ENV_SECRET) if not os.environ.get(name)]
    if missing:
        raise SpotifyError(
            f"features.source: spotify needs the environment variable(s) {', '.join(missing)} "
            f"(set {ENV_ID} and {ENV_SECRET} to your app's credentials from developer.spotify.com)"
        )
    for name in ("spotipy.client", "spotipy.oauth2"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactAuth) for f in logger.filters):
            logger.addFilter(_RedactAuth())
    # respect_retry_after_header=False: otherwise urllib3 sleeps on any Retry-After, 429 or not.
    retry = Retry(
        total=settings.retries,
        status_forcelist=(500, 502, 503, 504),
        backoff_factor=settings.backoff,
        allowed_methods=frozenset({"GET", "POST"}),
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # MemoryCacheHandler: spotipy's default handler writes the token to ./.cache.
    auth = SpotifyClientCredentials(
        client_id=os.environ[ENV_ID],
        client_secret=os.environ[ENV_SECRET],
        cache_handler=MemoryCacheHandler(),
        requests_session=session,
        requests_timeout=settings.timeout,
    )
    client = spotipy.Spotify(auth_manager=auth, requests_session=session, requests_timeout=settings.timeout)
    if settings.api_base:
        auth.OAUTH_TOKEN_URL = settings.api_base + "/api/token"
        client.prefix = settings.api_base + "/v1/"
    return client


class SpotifyApi:
    """The two calls we make, with the client built on first use so a fully cached run needs no login."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client: spotipy.Spotify | None = None
        self.calls: Counter = Counter()

    def search_id(self, artist: str, title: str) -> str | None:
        def clean(text: str) -> str:
            return strip_credits(text).replace('"', "")

        query = f'artist:"{clean(artist)}" track:"{clean(title)}"'
        answer = self._call("search", lambda sp: sp.search(q=query, type="track", limit=1))
        items = (answer or {}).get("tracks", {}).get("items") or []
        return items[0].get("id") if items else None

    def audio_features(self, ids: list[str]) -> list[dict | None]:
        def request(sp: spotipy.Spotify) -> list:
            # spotipy warns on every call that the endpoint is deprecated; RESTRICTED explains a 403.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return sp.audio_features(ids)

        answers = self._call("audio-features", request) or []
        if len(answers) != len(ids):
            raise SpotifyError(f"audio-features answered {len(answers)} entries for {len(ids)} ids")
        return answers

    def _call(self, endpoint: str, request: Callable[[spotipy.Spotify], Any]) -> Any:
        waits = 0
        while True:
            try:
                if self._client is None:
                    self._client = make_client(self.settings)
                self.calls[endpoint] += 1
                return request(self._client)
            except SpotifyOauthError as err:
                # err.error is the token endpoint's own code, e.g. invalid_client; it holds no secret.
                raise SpotifyError(self._credentials_message(err.error)) from None
            except spotipy.SpotifyException as err:
                wait = self._wait_or_raise(err, endpoint)
            except requests.RequestException as err:
                raise SpotifyError(f"could not reach Spotify for {endpoint}: {err}") from None
            kept = f"the answers so far are kept in {self.settings.cache}; rerun later"
            if wait > self.settings.max_retry_after:
                raise SpotifyError(
                    f"Spotify rate-limits {endpoint} and asks to wait {wait:g} s, more than "
                    f"features.spotify.max_retry_after={self.settings.max_retry_after:g} s; {kept}"
                )
            if waits >= self.settings.retries:
                raise SpotifyError(
                    f"Spotify still rate-limits {endpoint} after {waits} wait(s) "
                    f"(features.spotify.retries={self.settings.retries}); {kept}"
                )
            log.warning("Spotify rate-limits %s: waiting %g s as Retry-After asks", endpoint, wait)
            time.sleep(wait)
            waits += 1

    def _wait_or_raise(self, err: spotipy.SpotifyException, endpoint: str) -> float:
        """The seconds a 429 asks us to wait; any other failure becomes a SpotifyError."""
        status = err.http_status
        if status == 401:
            raise SpotifyError(self._credentials_message("401 Unauthorized")) from None
        if status == 403 and endpoint == "audio-features":
            raise SpotifyError(RESTRICTED) from None
        if status == 429 and not err.headers:
            # spotipy reports urllib3 running out of 5xx retries as a 429 without headers.
            raise SpotifyError(
                f"Spotify kept failing on {endpoint} after {self.settings.retries} retries "
                f"(features.spotify.retries); the answers so far are kept in {self.settings.cache}"
            ) from None
        if status != 429:
            raise SpotifyError(f"Spotify answered HTTP {status} to {endpoint}") from None
        try:
            return max(0.0, float(err.headers.get("Retry-After", 1)))
        except ValueError:
            return math.inf  # an HTTP-date Retry-After: too unusual to wait for

    @staticmethod
    def _credentials_message(reason: object) -> str:
        return f"Spotify rejected the app credentials ({reason}): check {ENV_ID} and {ENV_SECRET}"


def _batches(items: list, label: str) -> tqdm:
    chunks = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    return tqdm(chunks, desc=label, unit="batch", disable=not chunks)


def _resolve_ids(tracks: pd.DataFrame, cache: FeatureCache, api: SpotifyApi) -> list[tuple[str | None, str]]:
    """Each track's Spotify id (or None) and how it was found: "id" from the review, "name" by search."""
    resolved: list[tuple[str | None, str]] = []
    to_search: dict[str, tuple[str, str]] = {}
    for track_id, artist, title in zip(tracks["track_id"], tracks["artist"], tracks["title"], strict=True):
        track_id = present_id(track_id)
        if track_id is not None and _SPOTIFY_ID.match(track_id):
            resolved.append((track_id, "id"))
            continue
        key = name_key(artist, title)
        if key is not None and key not in cache.search:
            to_search[key] = (artist, title)
        resolved.append((key, "name"))
    for batch in _batches(list(to_search.items()), "spotify search"):
        for key, (artist, title) in batch:
            cache.search[key] = api.search_id(artist, title)
        cache.save()
    # A "name" entry holds the name key until here; swap it for the id the search found.
    return [(cache.search.get(ref) if how == "name" and ref else ref, how) for ref, how in resolved]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fetch_missing_features(ids: list[str], cache: FeatureCache, api: SpotifyApi) -> None:
    wanted = sorted({i for i in ids if i not in cache.features})
    for batch in _batches(wanted, "spotify audio-features"):
        for track_id, answer in zip(batch, api.audio_features(batch), strict=True):
            # All numeric fields are kept, so changing features.names later needs no refetch.
            numbers = {k: v for k, v in (answer or {}).items() if _is_number(v)}
            cache.features[track_id] = numbers or None
        cache.save()


def fetch_spotify(cfg: dict, tracks: pd.DataFrame, names: list[str]) -> tuple[list[dict], Counter, dict]:
    """Rows of ``features.py``'s frame for ``tracks``, match counts, and a report of calls and cache hits."""
    settings = read_settings(cfg)
    cache = FeatureCache(settings.cache)
    api = SpotifyApi(settings)
    try:
        resolved = _resolve_ids(tracks, cache, api)
        _fetch_missing_features([i for i, _ in resolved if i is not None], cache, api)
    finally:
        cache.save()  # whatever was answered before a failure is kept for the rerun

    known = {k for answer in cache.features.values() if answer for k in answer}
    unknown = [n for n in names if known and n not in known]
    if unknown:
        raise ConfigError(f"features.names: Spotify audio features lack {unknown}; they have {sorted(known)}")

    counts: Counter = Counter()
    rows = []
    for (spotify_id, how), track_id, artist, title in zip(
        resolved, tracks["track_id"], tracks["artist"], tracks["title"], strict=True
    ):
        answer = cache.features.get(spotify_id) if spotify_id else None
        complete = answer is not None and all(n in answer for n in names)
        counts["matched_by_" + how if complete else "missing"] += 1
        rows.append(
            {
                # The review's own id stays, even one Spotify would not take, so the join by id still works.
                "track_id": present_id(track_id) or (spotify_id if complete else None),
                "artist": artist,
                "title": title,
                **{n: float(answer[n]) if complete else math.nan for n in names},
                "feature_source": "api" if complete else "missing",
            }
        )
    extra = {"spotify_requests": dict(api.calls), "spotify_cache": str(settings.cache)}
    log.info("spotify: %s requests, cache %s", dict(api.calls) or "no", settings.cache)
    return rows, counts, extra
