"""Driving the app in Chromium without pytest: shared by the browser tests (``conftest``) and
``benchmarks/bench_app.py``, whose bench extra has playwright but not pytest.

Where Chromium is, its flags, a free port, waiting for a server's health, waiting for a script
run to settle, and opening a select box as a person does.
"""
from __future__ import annotations

import os
import socket
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path(os.environ.get("MARQUEE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
SCRIPT_STATE = '[data-testid="stApp"]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, timeout: float = 60.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.read().strip() == b"ok":
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no healthy answer from {url} within {timeout:.0f}s")


def wait_until_idle(tab, timeout: float = 120_000) -> None:
    """Wait for the script run a click or key press starts, then for it to finish.

    Streamlit marks the app root with ``data-test-script-state`` and keeps the previous run's
    elements on screen (``data-stale``) until the new run replaces them; both must settle. A run
    that ends within one frame (a cached answer) may never show 'running', so that first wait
    is allowed to find nothing.
    """
    try:
        tab.wait_for_function(
            f"() => document.querySelector('{SCRIPT_STATE}')?.getAttribute('data-test-script-state') === 'running'",
            timeout=1_000)
    except Exception:  # the run may already be over (or never needed to start)
        pass
    tab.wait_for_function(
        f"() => document.querySelector('{SCRIPT_STATE}')?.getAttribute('data-test-script-state') !== 'running'"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)


def open_select(combobox) -> None:
    """Open a select box's option list as a person does: click it, and when Streamlit 1.67's
    combobox took the click as focus only (seen below the fold), press the down arrow."""
    combobox.click()
    if combobox.get_attribute("aria-expanded") != "true":
        combobox.press("ArrowDown")
