"""Shared pytest fixtures.

Browser fixtures (owned by the maps tests, reused by the Voilà tests)
--------------------------------------------------------------------
``browser`` (session) launches Debian's ``/usr/bin/chromium`` through
Playwright for Python (``executable_path``; never a Playwright browser
download). ``page`` gives a fresh context and page per test. Mark browser
tests with ``@pytest.mark.browser``. Without chromium these tests FAIL with an
installation hint, unless the environment sets ``THM_SKIP_BROWSER=1``.
Hypothesis runs derandomized when ``CI`` is set (profile ``ci``).

``offline_page`` is a ``page`` on which every request outside ``file:``,
``data:``, ``blob:`` and ``about:`` is aborted; the aborted URLs are collected
in ``page.blocked_requests``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# --- hypothesis ----------------------------------------------------------------------------
# CI runs the same examples every time (a red CI blocks landing; random exploration runs on
# developer machines; stress runs are noted in docs/datenschutz.md); failures print the
# reproduction blob.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# --- browser fixtures (maps; reused by the Voilà tests) -----------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"{CHROMIUM} fehlt / is missing: bitte installieren / please install: "
        "apt-get update && apt-get install -y chromium"
    )
    if os.environ.get("THM_SKIP_BROWSER") == "1":
        pytest.skip(message + " (übersprungen, THM_SKIP_BROWSER=1)")
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian chromium driven by Playwright (sync API), one per session."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh browser context and page (1280 × 900) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def limit_network(context, allowed: tuple[str, ...]) -> list[str]:
    """Abort every request of ``context`` whose URL does not start with ``allowed``.

    Returns the list the aborted URLs are collected in.
    """
    blocked: list[str] = []

    def handle(route) -> None:
        url = route.request.url
        if url.startswith(allowed):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", handle)
    return blocked


@pytest.fixture
def offline_page(page) -> object:
    """``page`` with every non-local request aborted and recorded in ``page.blocked_requests``."""
    page.blocked_requests = limit_network(page.context, LOCAL_SCHEMES)
    return page


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``test-artifacts/`` at the repository root (git-ignored), for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- the apps' bundle (issue 16: app kernels read only published data) -------------------


@pytest.fixture(scope="session")
def app_buendel(tmp_path_factory) -> Path:
    """The apps' bundle of the sample Kreis, built as ``thm app`` builds it, raw data gone.

    The Arbeitsmappe is copied, the bundle is built from the copy in a process of its
    own (``python -m thm_lib.apps.paket_bauen``), and the copy is deleted: every server
    test then shows that the apps work without the raw folder.
    """
    import shutil
    import subprocess
    import sys

    from thm_lib.core.paths import SAMPLE

    root = tmp_path_factory.mktemp("app_buendel")
    mappe, paket = root / "musterkreis", root / "paket"
    shutil.copytree(SAMPLE, mappe)
    subprocess.run(
        [sys.executable, "-m", "thm_lib.apps.paket_bauen", str(mappe), str(paket)], check=True
    )
    shutil.rmtree(mappe)
    return paket
