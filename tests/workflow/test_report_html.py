"""The Snakemake HTML report: built from the pipeline run, self-contained, and its plots render in Chromium.

The report is a React single-page app with every result embedded as a data: URI, so the images only exist
in the DOM once a category is opened and a result is selected. The browser is Debian's headless Chromium,
driven over the Chrome DevTools Protocol on a pipe (--remote-debugging-pipe): no port, no extra package.
Install it with .ci/install-chromium.sh; without it these browser checks are skipped, except under CI=true.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("REVIEWGEN_CHROMIUM", "/usr/bin/chromium"))
INSTALL_HINT = "install it with: sudo .ci/install-chromium.sh (Debian package 'chromium')"
# Flags known to work as root on a machine with no network and no display (see .ci/install-chromium.sh).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--window-size=1400,1000"]
# Categories whose results are images, and where in the pipeline copy their files are.
IMAGE_CATEGORIES = {"Word frequencies": "results/wordfreq", "Training histories": "results/plots"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
# Tags whose URL attributes a browser fetches on load (an <a href> is only followed when clicked).
FETCHED_ATTRS = {"script": ["src"], "link": ["href"], "img": ["src", "srcset"], "iframe": ["src"],
                 "source": ["src", "srcset"], "video": ["src", "poster"], "audio": ["src"], "embed": ["src"],
                 "object": ["data"], "track": ["src"], "image": ["href", "xlink:href"], "use": ["href", "xlink:href"]}
CSS_REMOTE = re.compile(r"""url\(\s*['"]?\s*(?:https?:)?//|@import\s+(?:url\()?\s*['"]?\s*(?:https?:)?//""", re.I)
TIMEOUT = 30.0


# --- the report -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_html(snakemake_pipeline) -> Path:
    """`snakemake --report results/report.html` in the shared pipeline copy: one self-contained HTML file."""
    report = snakemake_pipeline.root / "results" / "report.html"
    report.unlink(missing_ok=True)
    proc = snakemake_pipeline.run("snakemake", "--report", "results/report.html", timeout=300)
    assert report.is_file(), f"no report written:\n{proc.stdout}\n{proc.stderr}"
    return report


class FetchedUrls(HTMLParser):
    """Collects every URL the page would fetch by itself: tag attributes, inline CSS and <style> blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []
        self.remote_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in FETCHED_ATTRS.get(tag, []):
            value = (attrs.get(name) or "").strip()
            for url in value.split(",") if name == "srcset" else [value]:
                if url.strip():
                    self.urls.append((tag, url.strip().split()[0]))
        if CSS_REMOTE.search(attrs.get("style") or ""):
            self.remote_css.append(f"<{tag} style=...>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.remote_css.extend(m.group(0) for m in CSS_REMOTE.finditer(data))


def is_remote(url: str) -> bool:
    scheme = url.split(":", 1)[0].lower() if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) else ""
    return url.startswith("//") or (scheme != "" and scheme not in LOCAL_SCHEMES)


def test_report_is_self_contained(report_html: Path, snakemake_pipeline):
    html = report_html.read_text(encoding="utf-8")
    parser = FetchedUrls()
    parser.feed(html)
    remote = [f"<{tag}> {url[:100]}" for tag, url in parser.urls if is_remote(url)] + parser.remote_css
    assert not remote, f"the report fetches from the network: {remote}"
    # No sibling files either: everything, images included, is inline.
    relative = [url[:100] for _, url in parser.urls if not is_remote(url) and ":" not in url.split("/")[0]]
    assert not relative, f"the report refers to files next to it: {relative}"
    for directory in IMAGE_CATEGORIES.values():
        for png in sorted((snakemake_pipeline.root / directory).glob("*.png")):
            assert f"filename={png.name};base64," in html, f"{directory}/{png.name} not embedded in the report"


# --- Chromium over the DevTools protocol -------------------------------------------------------------------


class Chromium:
    """Headless Chromium on a DevTools pipe: fd 3 carries our commands, fd 4 its answers, each JSON + NUL."""

    def __init__(self, executable: Path, profile: Path, log: Path):
        to_browser = [self._high(fd) for fd in os.pipe()]
        from_browser = [self._high(fd) for fd in os.pipe()]

        def as_fd_3_and_4():  # in the child, before exec: the only inheritable fds beyond 0-2
            os.dup2(to_browser[0], 3)
            os.dup2(from_browser[1], 4)

        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [str(executable), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, close_fds=False,
            preexec_fn=as_fd_3_and_4, start_new_session=True)
        os.close(to_browser[0])
        os.close(from_browser[1])
        self._out = os.fdopen(to_browser[1], "wb", buffering=0)
        self._in = os.fdopen(from_browser[0], "rb", buffering=0)
        self._messages: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.session = ""

    @staticmethod
    def _high(fd: int) -> int:
        """The fd moved above 9 (close-on-exec), so that dup2 onto 3 and 4 cannot clobber its partner."""
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def _read(self) -> None:
        buffer = b""
        while chunk := self._in.read(1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))
        self._messages.put(None)

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self._out.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                answer = self._messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"Chromium did not answer {method} within {TIMEOUT} s") from None
            if answer is None:
                raise RuntimeError(f"Chromium closed its DevTools pipe during {method} (exit {self.proc.poll()})")
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def open(self, url: str) -> None:
        """A new tab, attached as this client's session, with network and runtime events on, showing url."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str):
        """Polls expression until it is truthy; returns its value."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"timed out after {TIMEOUT} s waiting for {what}")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"]))

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
            self.proc.wait(timeout=10)
        except Exception:  # whatever went wrong, the browser must not outlive the test
            pass
        # Whatever is left of the process group this test started (renderers, zygote), and nothing else.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self._out.close()
        self._log.close()


@pytest.fixture
def chromium(tmp_path: Path):
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        message = f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    browser = Chromium(CHROMIUM, tmp_path / "chromium-profile", tmp_path / "chromium.log")
    yield browser
    browser.close()


# What the test does in the page, as JavaScript run inside it.
# Clicks a navigation link by its text; in a category's view, the breadcrumb "Results" leads back to the menu.
CLICK_LINK = """(() => {
  const link = [...document.querySelectorAll('#app a')].find(a => a.textContent.trim() === %s);
  if (!link) return false;
  link.click();
  return true;
})()"""
RESULT_ROWS = "[...document.querySelectorAll('#app table tbody tr')].map(tr => tr.cells[0].textContent.trim())"
# Each result row ends with two buttons: show the result (eye), show its caption and provenance (info).
CLICK_VIEW = "document.querySelectorAll('#app table tbody tr')[%d].querySelectorAll('td:last-child a')[0].click()"
CLICK_INFO = "document.querySelectorAll('#app table tbody tr')[%d].querySelectorAll('td:last-child a')[1].click()"
CAPTION_SHOWN = """(() => {
  const path = Object.keys(results).find(p => p.endsWith('/' + %s));
  const caption = document.createElement('div');
  caption.innerHTML = results[path].caption;
  const squash = text => text.replace(/\\s+/g, ' ').trim();
  return squash(document.querySelector('#app').innerText).includes(squash(caption.textContent).slice(0, 60));
})()"""
SHOWN_IMAGE = """(() => {
  const uris = new Set(Object.values(results).map(r => r.data_uri));
  const img = [...document.querySelectorAll('#app img')].find(i => uris.has(i.src));
  if (!img || !img.complete || img.naturalWidth === 0) return null;
  const name = (img.src.match(/filename=([^;,]+)/) || [])[1];
  return {name, width: img.naturalWidth, height: img.naturalHeight, shownWidth: img.width};
})()"""


def test_report_images_render_in_chromium(report_html: Path, snakemake_pipeline, chromium: Chromium,
                                          tmp_path: Path):
    chromium.open(report_html.as_uri())
    chromium.wait_for("document.readyState === 'complete' && typeof app !== 'undefined'"
                      " && document.querySelector('#app a') !== null", "the report app to render")
    chromium.screenshot(tmp_path / "report-landing.png")

    for category, directory in IMAGE_CATEGORIES.items():
        expected = sorted(p.name for p in (snakemake_pipeline.root / directory).glob("*.png"))
        assert expected, f"the pipeline made no plots in {directory}"
        chromium.evaluate(CLICK_LINK % json.dumps("Results"))  # back to the menu from the previous category
        chromium.wait_for(CLICK_LINK % json.dumps(category), f"the menu entry {category!r}")
        rows = chromium.wait_for(f"{RESULT_ROWS}.length >= {len(expected)} && {RESULT_ROWS}",
                                 f"the {category!r} results list")
        assert len(rows) == len(expected), f"{category}: rows {rows}, files {expected}"

        shown = []
        for index in range(len(rows)):
            previous = shown[-1]["name"] if shown else None
            chromium.evaluate(CLICK_VIEW % index)
            image = chromium.wait_for(
                f"(() => {{ const s = {SHOWN_IMAGE}; return s && s.name !== {json.dumps(previous)} && s; }})()",
                f"{category} result {rows[index]!r} to be shown")
            assert image["width"] > 0 and image["height"] > 0 and image["shownWidth"] > 0, image
            shown.append(image)
        assert sorted(image["name"] for image in shown) == expected, f"{category}: showed {shown}"
        # The last plot stays shown while the side bar shows its caption: the screenshot to look at.
        chromium.evaluate(CLICK_INFO % (len(rows) - 1))
        chromium.wait_for(CAPTION_SHOWN % json.dumps(shown[-1]["name"]), f"the caption of {shown[-1]['name']}")
        assert chromium.evaluate(SHOWN_IMAGE)["name"] == shown[-1]["name"]
        chromium.screenshot(tmp_path / f"report-{category.lower().replace(' ', '-')}.png")

    # The captions were rendered from the workflow's templates, with the run's config filled in.
    captions = chromium.evaluate("Object.fromEntries(Object.entries(results).map(([p, r]) => [p, r.caption]))")
    assert all(captions.values()) and not any("{{" in c or "{%" in c for c in captions.values()), captions
    n_words = yaml.safe_load((snakemake_pipeline.root / "params.yaml").read_text())["wordfreq"]["n_words"]
    assert any(str(n_words) in c for p, c in captions.items() if p.startswith("results/wordfreq/")), captions

    # Nothing the page did reached for the network, and its scripts threw nothing.
    chromium.evaluate("1")  # drain the events still queued
    requested = [e["params"]["request"]["url"] for e in chromium.events if e["method"] == "Network.requestWillBeSent"]
    assert requested and not [url[:100] for url in requested if is_remote(url)], requested
    errors = [e["params"]["exceptionDetails"] for e in chromium.events if e["method"] == "Runtime.exceptionThrown"]
    assert not errors, errors
