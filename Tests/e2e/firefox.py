"""Headless Firefox (Debian's `firefox-esr`) driven over WebDriver BiDi, its built-in remote protocol.

`--remote-debugging-port=0` makes Firefox listen for WebDriver BiDi on a free loopback port, which
it writes to WebDriverBiDiServer.json in its profile; no geckodriver is needed. The client is a
WebSocket to ws://127.0.0.1:PORT/session (python3-websockets): `session.new`, then commands
(`browsingContext.navigate`, `script.evaluate`, `browsingContext.captureScreenshot`), each a JSON
object with an `id` that the answer carries back. The page's script really runs in Firefox's
SpiderMonkey; a `FirefoxPage` answers the same calls as chromium.py's `Page` (evaluate, wait_for,
html, screenshot: the whole page as PNG), so a test written for one browser runs in the other.
"""

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from chromium import Polling, chromium, ended, launched  # noqa: F401  (fixture)

START_TIMEOUT = 30
# No first-run pages, update checks, telemetry or remote settings: the machine may be offline and
# a test must not wait for the network. (Firefox's remote agent sets most of these itself.)
PREFERENCES = {
    "app.update.disabledForTesting": True,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "app.normandy.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    # A name of "another site" that resolves to loopback, as DNS rebinding makes one (chromium.py's REBOUND_NAME).
    "network.dns.localDomains": "rebound.test",
}


def firefox_binary():
    for name in ("firefox-esr", "firefox"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Firefox is needed: apt-get install firefox-esr (make deps installs it)")


def websockets_module():
    try:
        import websockets
    except ImportError:
        pytest.fail("the Firefox tests need a WebSocket client: apt-get install python3-websockets "
                    "(make deps installs it)")
    return websockets


class Firefox:
    name = "firefox"

    def __init__(self, width=1280, height=1000):
        self.width, self.height = width, height
        self.profile = Path(tempfile.mkdtemp(prefix="ehlo-firefox-"))
        (self.profile / "user.js").write_text("".join(
            f"user_pref({json.dumps(key)}, {json.dumps(value)});\n" for key, value in PREFERENCES.items()))
        self.log = self.profile / "firefox.log"
        with open(self.log, "wb") as log:
            # Its own HOME: Firefox writes under ~/.cache and ~/.mozilla otherwise.
            environment = dict(os.environ, HOME=str(self.profile), MOZ_CRASHREPORTER_DISABLE="1")
            self.process = subprocess.Popen(
                [firefox_binary(), "--headless", "--no-remote", "--profile", str(self.profile),
                 "--remote-debugging-port=0", f"--window-size={width},{height}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment)
        self._loop = asyncio.new_event_loop()
        self._next_id = 0
        self._socket = None
        try:
            self._socket = self._run(self._connect(websockets_module()), START_TIMEOUT)
            self.call("session.new", {"capabilities": {}})
        except BaseException:
            self.close()
            raise

    def _run(self, coroutine, timeout):
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(f"Firefox did not answer within {timeout}s\n{self.log_tail()}") from None

    async def _connect(self, websockets):
        server = self.profile / "WebDriverBiDiServer.json"
        while True:
            if self.process.poll() is not None:
                raise ConnectionError(f"Firefox exited with {self.process.returncode}\n{self.log_tail()}")
            try:
                port = json.loads(server.read_text())["ws_port"]
                return await websockets.connect(f"ws://127.0.0.1:{port}/session", max_size=None,
                                                ping_interval=None, open_timeout=START_TIMEOUT)
            except (OSError, ValueError, KeyError):
                await asyncio.sleep(0.1)  # not written yet, or not listening yet

    async def _call(self, method, params):
        self._next_id += 1
        number = self._next_id
        await self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(await self._socket.recv())
            if message.get("id") == number:  # anything else is an event nobody subscribed to
                return message

    def call(self, method, params=None, timeout=30):
        message = self._run(self._call(method, params or {}), timeout)
        if message.get("type") == "error":
            raise RuntimeError(f"{method}: {message.get('error')}: {message.get('message')}")
        return message["result"]

    def log_tail(self):
        try:
            return "Firefox's output:\n" + self.log.read_text("utf-8", "replace")[-2000:]
        except OSError:
            return ""

    def open(self, url):
        context = self.call("browsingContext.create", {"type": "tab"})["context"]
        self.call("browsingContext.setViewport",
                  {"context": context, "viewport": {"width": self.width, "height": self.height}})
        page = FirefoxPage(self, context)
        page.navigate(url)
        return page

    def close(self):
        if self._socket is not None:
            try:
                self.call("browser.close", timeout=5)
            except Exception:
                pass
            try:
                self._run(self._socket.close(), 5)
            except Exception:
                pass
        ended(self.process)
        self._loop.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class FirefoxPage(Polling):
    def __init__(self, browser, context):
        self.browser = browser
        self.context = context

    def call(self, method, params=None, timeout=30):
        return self.browser.call(method, {"context": self.context, **(params or {})}, timeout=timeout)

    def navigate(self, url, timeout=30):
        self.call("browsingContext.navigate", {"url": url, "wait": "complete"}, timeout=timeout)

    def evaluate(self, expression):
        # JSON.stringify in the page gives what Chromium's returnByValue gives: plain values, arrays,
        # objects; null and undefined come back as None.
        answer = self.browser.call("script.evaluate", {
            "expression": f"JSON.stringify(({expression}))", "awaitPromise": False,
            "target": {"context": self.context}, "resultOwnership": "none"})
        if answer["type"] == "exception":
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        value = answer["result"]
        return json.loads(value["value"]) if value["type"] == "string" else None

    def png(self):
        return self.call("browsingContext.captureScreenshot", {"origin": "document"})["data"]


@pytest.fixture
def firefox():
    yield from launched(Firefox)


@pytest.fixture(params=["chromium", "firefox"])
def browser(request):
    """The class view must work in both (issue 10): a test taking `browser` runs once in each."""
    return request.getfixturevalue(request.param)
