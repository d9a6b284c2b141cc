"""A local stand-in for the Spotify Web API: real HTTP on 127.0.0.1, with failures tests can script.

It plays the three requests the features client makes, as spotipy sends them: ``POST /api/token``
(client credentials), ``GET /v1/search`` and ``GET /v1/audio-features[/]?ids=...``. Every request is
recorded, so tests can assert what reached the network and how often.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ENDPOINTS = {"/api/token": "token", "/v1/search": "search", "/v1/audio-features": "audio-features"}
_QUERY = re.compile(r'^artist:"(?P<artist>[^"]*)" track:"(?P<title>[^"]*)"$')


class SpotifyStub:
    """Serves a small catalogue; ``script`` queues answers that replace the normal one, in order."""

    def __init__(self, client_id: str, client_secret: str):
        self.basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.token = "stub-token-7f3a9c"
        self.features: dict[str, dict] = {}
        self.ids_by_name: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, dict]] = []
        self._script: dict[str, list[tuple[int, dict[str, str]] | None]] = defaultdict(list)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval: shutdown() waits for the next poll, 0.5 s by default.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_track(self, track_id: str, artist: str, title: str, **features: float) -> None:
        answer = {"id": track_id, "type": "audio_features", "uri": f"spotify:track:{track_id}"}
        self.features[track_id] = answer | features
        self.ids_by_name[artist.lower(), title.lower()] = track_id

    def script(self, endpoint: str, *answers: tuple[int, dict[str, str]] | None) -> None:
        """Queue answers for ``endpoint``: ``(status, headers)`` to fail, ``None`` to answer normally."""
        self._script[endpoint].extend(answers)

    def count(self, endpoint: str) -> int:
        return sum(1 for name, _ in self.calls if name == endpoint)

    def __enter__(self) -> SpotifyStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, endpoint: str, headers: dict[str, str], query: dict[str, list[str]]) -> tuple:
        """(status, extra headers, JSON body) for one request."""
        detail = {"q": query.get("q", [""])[0], "limit": query.get("limit", [""])[0]}
        if endpoint == "audio-features":
            detail = {"ids": query.get("ids", [""])[0].split(",")}
        with self._lock:
            self.calls.append((endpoint, detail))
            scripted = self._script[endpoint].pop(0) if self._script[endpoint] else None
        if scripted is not None:
            status, extra = scripted
            return status, extra, {"error": {"status": status}}
        if endpoint == "token":
            if headers.get("Authorization") != self.basic:
                return 401, {}, {"error": "invalid_client", "error_description": "Invalid client"}
            return 200, {}, {"access_token": self.token, "token_type": "Bearer", "expires_in": 3600}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"error": {"status": 401, "message": "Invalid access token"}}
        if endpoint == "search":
            return 200, {}, self._search(detail["q"])
        if len(detail["ids"]) > 100:  # what Spotify does with an oversized batch
            return 400, {}, {"error": {"status": 400, "message": "too many ids requested"}}
        return 200, {}, {"audio_features": [self.features.get(i) for i in detail["ids"]]}

    def _search(self, q: str) -> dict:
        match = _QUERY.match(q)
        found = match and self.ids_by_name.get((match["artist"].lower(), match["title"].lower()))
        items = []
        if found:
            items = [{"id": found, "name": match["title"], "artists": [{"name": match["artist"]}]}]
        return {"tracks": {"items": items, "limit": 1, "offset": 0, "total": len(items)}}


def _handler_for(stub: SpotifyStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            # spotipy asks for "audio-features/?ids=..." with a trailing slash; accept both forms.
            endpoint = ENDPOINTS.get(url.path.rstrip("/"))
            if endpoint is None:
                status, extra, body = 404, {}, {"error": {"status": 404, "message": "no such endpoint"}}
            else:
                status, extra, body = stub.answer(endpoint, dict(self.headers), parse_qs(url.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            """Quiet: the tests read ``stub.calls`` instead."""

    return Handler
