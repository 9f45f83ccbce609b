"""Browser harness for tests/test_ui.py: Debian's chromium under Playwright, and a scripted stand-in backend.

The stand-in serves the real static files and answers API calls from a table, so page behaviour (escaping,
errors, history, rendering) is tested without the model; the real-server test uses `live_server` instead.
Chromium is Debian's (`apt-get install -y chromium`), never one downloaded by `playwright install`.
"""

from __future__ import annotations

import json
import mimetypes
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parents[1] / "service" / "static"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAKE_ORIGIN = "http://aftaler.test"
INSTALL_HINT = "pip install playwright && apt-get install -y chromium (do not run `playwright install`)"


def missing_browser() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed; {INSTALL_HINT}"
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        return f"{CHROMIUM} is missing; {INSTALL_HINT}"
    return None


def launch(playwright: Any) -> Any:
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    content_type: str = "application/json"

    def text(self) -> str:
        if isinstance(self.body, str):
            return self.body
        return json.dumps(self.body, ensure_ascii=False)


Handler = Callable[[dict[str, Any] | None], Reply]


@dataclass
class FakeBackend:
    """Answers `METHOD /path` from `routes` (a Reply or a function of the JSON body) and records every call."""

    routes: dict[str, Reply | Handler] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def install(self, page: Any) -> None:
        page.route(f"{FAKE_ORIGIN}/**", self._handle)

    def bodies(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body in self.calls if m == method and p == path]

    def _handle(self, route: Any) -> None:
        request = route.request
        path = request.url.removeprefix(FAKE_ORIGIN).split("?", 1)[0]
        if request.method == "GET" and (path == "/" or path.startswith("/static/")):
            file = STATIC_DIR / ("index.html" if path == "/" else path.removeprefix("/static/"))
            if not file.is_file():
                route.fulfill(status=404, body="not found")
                return
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            route.fulfill(status=200, body=file.read_bytes(), content_type=f"{kind}; charset=utf-8")
            return
        body = json.loads(request.post_data) if request.post_data else None
        self.calls.append((request.method, path, body))
        key = f"{request.method} {path}"
        reply = self.routes.get(key) or self._prefix_match(key) or Reply(404, {"detail": f"no fake for {key}"})
        if callable(reply):
            reply = reply(body)
        route.fulfill(status=reply.status, body=reply.text(), content_type=reply.content_type)

    def _prefix_match(self, key: str) -> Reply | Handler | None:
        for pattern, reply in self.routes.items():
            if pattern.endswith("*") and key.startswith(pattern[:-1]):
                return reply
        return None
