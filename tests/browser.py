"""A real headless Chromium driven over the DevTools protocol: log in, type, click, read the page.

`--dump-dom` shows one page to an anonymous visitor; the web pages need a login first, so the
tests talk to the browser itself (the `websockets` client the stack already installs): navigate,
fill a form through the DOM, wait for the next page, read its HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from urllib.parse import urlparse
from pathlib import Path

import pytest
from websockets.sync.client import connect

TIMEOUT_S = 60


def find_browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("HUAXIANG_REQUIRE_BROWSER") == "1":
        pytest.fail("HUAXIANG_REQUIRE_BROWSER=1 but no chromium, chromium-browser or google-chrome on PATH")
    pytest.skip("no headless browser installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, profile: Path) -> None:
        port = free_port()
        self.process = subprocess.Popen(
            [find_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
             "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.close()
                pytest.fail("headless Chromium did not open its DevTools port")
            time.sleep(0.2)
        self._connection = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=TIMEOUT_S)
        self.ws = self._connection.__enter__()
        self._id = 0

    def _call(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=TIMEOUT_S))
            if message.get("id") == self._id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self._call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, path_prefix: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            state = self.evaluate("[document.readyState, location.pathname]")
            if state and state[0] == "complete" and state[1].startswith(path_prefix):
                return
            time.sleep(0.1)
        raise AssertionError(f"the page did not reach {path_prefix} (at {self.evaluate('location.href')})")

    def goto(self, url: str, path_prefix: str | None = None) -> str:
        self._call("Page.navigate", url=url)
        self.wait_for(path_prefix or urlparse(url).path)
        return self.html()

    def submit(self, form_selector: str, fields: dict[str, str], then: str) -> str:
        """Fill a form's fields and submit it (as a person pressing the button), then wait."""
        script = (f"(() => {{ const f = document.querySelector({json.dumps(form_selector)});"
                  + "".join(f"f.querySelector('[name={json.dumps(k)[1:-1]}]').value = {json.dumps(v)};"
                            for k, v in fields.items())
                  + "f.requestSubmit(); return true; })()")
        self.evaluate(script)
        time.sleep(0.2)
        self.wait_for(then)
        return self.html()

    def screenshot(self, path: Path, width: int = 1280) -> None:
        """A PNG of the whole page (the README's picture of the card is taken this way)."""
        import base64

        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self._call("Emulation.setDeviceMetricsOverride", width=width, height=min(height, 2200),
                   deviceScaleFactor=1, mobile=False)
        shot = self._call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def html(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def close(self) -> None:
        try:
            self._connection.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        self.process.kill()
        self.process.wait()
