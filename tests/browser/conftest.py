"""What the browser tests share: the local stack of `make run`, started once per test file,
and headless Chromium driven by Playwright's sync API.

The browser is the system's Chromium (Debian's `chromium` package, which `make test` installs
when it is missing; CHROMIUM names another binary): Playwright's own browser download is not
used. Each test saves screenshots under build/screenshots/ (`screenshot(page, name)`), and
`assert_accessible(page)` runs axe-core (the npm package, vendored by `make test`) on the page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Without the background-networking switches Chromium keeps calling Google's hosts, which a
# closed network refuses, many at a time; --no-sandbox because tests may run as root.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
_SIGN_IN_CODE = re.compile(r"(?<![\w-])\d{6}(?![\w-])")


def chromium_path() -> str:
    """The Chromium the tests drive; a missing one fails the run: browser tests are never
    skipped (`make test` installs the browser)."""
    configured = os.environ.get("CHROMIUM")
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("No Chromium: run `make browser` (Debian's chromium package), or set CHROMIUM")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies, no storage) on a desktop screen."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    opened = context.new_page()
    # A test waits for what a person would see; a few seconds is plenty on the local stack.
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh context with a phone's screen and touch."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-US"
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save what `page` shows as build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def assert_accessible(page: Any, *, context: str = "body") -> None:
    """axe-core finds no WCAG 2.1 A/AA violation in what `page` shows."""
    # Evaluated by the browser's debugging protocol, as a script tag could not be: the pages'
    # Content-Security-Policy allows no inline script, and the test keeps it in force. Once per
    # document: a page that renders its views itself keeps it.
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (context) => await axe.run(context, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        })""",
        context,
    )
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]
    assert violations == [], json.dumps(violations, indent=2)


def assert_no_horizontal_scroll(page: Any) -> None:
    """Nothing wider than the screen: a phone never scrolls sideways."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


# --- The local stack ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """The stack of `make run` on a free port, for every test of one file; the environment it
    set is undone afterwards."""
    from local.stack import start

    with pytest.MonkeyPatch.context() as environment:
        running = start(port=0, environment=environment)
        try:
            yield running
        finally:
            running.stop()


def sent_emails() -> list[Any]:
    """What the local SES has sent so far, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages)


def latest_sign_in_code(recipient: str, *, after: int = 0) -> str:
    """The code in the newest email to `recipient` among those sent after the first `after`,
    as a shopper or merchant reads it from their inbox (the local outbox)."""
    from tests.lifecycle_support import eventually

    def found() -> str | None:
        for message in reversed(sent_emails()[after:]):
            if recipient in message.destinations.get("ToAddresses", []):
                # The text part, which the local SES keeps: colours in the HTML are digits too.
                match = _SIGN_IN_CODE.search(getattr(message, "text", None) or message.body or "")
                if match:
                    return match.group(0)
        return None

    return eventually(found, f"a sign-in code to {recipient}")
