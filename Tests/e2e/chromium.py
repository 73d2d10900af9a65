"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe.

`--remote-debugging-pipe` makes Chromium read protocol messages from fd 3 and write its own to
fd 4, each a JSON object ended by a NUL byte: no WebSocket client and no port needed. A test
opens a page, evaluates JavaScript in it, waits for a condition, and keeps a screenshot.
Chromium refuses to run as root with its sandbox on, so `--no-sandbox` is added for root (CI).
What a page does with `evaluate` (Polling), closing and the fixture body are shared with
firefox.py, whose pages answer the same calls.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest


REBOUND_NAME = "rebound.test"


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed: apt-get install chromium (make deps installs it)")


def ended(process, grace=10):
    """Waits for a browser told to close; kills it if it has not exited within `grace` seconds."""
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Chromium:
    name = "chromium"

    def __init__(self, width=1280, height=1000):
        self.profile = tempfile.mkdtemp(prefix="ehlo-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        args = [chromium_binary(), "--headless", "--remote-debugging-pipe", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
                # A name of "another site" that resolves to loopback, as DNS rebinding makes one.
                f"--host-resolver-rules=MAP {REBOUND_NAME} 127.0.0.1"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")

        def child_fds():
            # Fresh copies first: a source may itself be fd 3 or 4.
            read_copy, write_copy = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(read_copy, 3)
            os.dup2(write_copy, 4)

        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, pass_fds=(), preexec_fn=child_fds,
                                        close_fds=False)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._buffer = b""
        self._lock = threading.Lock()
        self._events = []

    def _send(self, method, params=None, session=None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read_message(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            import select
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium exited: " + self.process.stderr.read().decode("utf-8", "replace")[-2000:])
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=30):
        number = self._send(method, params, session)
        while True:
            message = self._read_message(timeout)
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.navigate(url)
        return page

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        ended(self.process)
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


class Polling:
    """What a page of either browser does with its `evaluate` (firefox.py's pages share it)."""

    def wait_for(self, expression, timeout=15):
        """Polls until `expression` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not true within {timeout}s: {expression}\nDOM:\n" + self.html()[:4000])
            time.sleep(0.1)

    def html(self):
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path):
        """The whole page as PNG (its `png()`, base64) at `path`."""
        with open(path, "wb") as file:
            file.write(base64.b64decode(self.png()))
        return path


class Page(Polling):
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session

    def call(self, method, params=None, timeout=30):
        return self.browser.call(method, params, session=self.session, timeout=timeout)

    def navigate(self, url, timeout=30):
        self.call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", timeout=timeout)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def png(self):
        return self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]


def launched(kind):
    """A fixture's body: a browser of `kind` for the test, closed after it."""
    browser = kind()
    yield browser
    browser.close()


@pytest.fixture
def chromium():
    yield from launched(Chromium)
