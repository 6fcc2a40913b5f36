"""Shared fixtures.

Every test session gets its own data and artifacts folders (set before any test imports core),
so tests never touch the user's ``data/`` or ``artifacts/``. Expensive catalogs are built once
per session. Tests needing ``../shared/data`` skip with a reason when it is absent, except under
``CI=true`` where its absence is a failure.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="marquee-tests-"))
os.environ["MARQUEE_DATA_DIR"] = str(_SESSION_ROOT / "data")
os.environ["MARQUEE_ARTIFACTS_DIR"] = str(_SESSION_ROOT / "artifacts")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def require_shared_data(*parts: str) -> Path:
    """Path inside ``../shared/data``; skip (or fail under CI) when it is missing."""
    from core.config import shared_data_dir

    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        message = f"real data not found at {path} (expected ../shared/data beside the project)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI always has it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture(scope="session")
def session_data_dir() -> Path:
    return Path(os.environ["MARQUEE_DATA_DIR"])


@pytest.fixture
def isolated_dirs(tmp_path, monkeypatch) -> Path:
    """Point data and artifacts at a fresh empty folder for one test."""
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MARQUEE_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    return tmp_path


@pytest.fixture(scope="session")
def demo_catalog(session_data_dir):
    """The synthetic demo catalog (default size, default seed), built once per session."""
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog

    if not store.exists("demo"):
        build_demo_catalog("demo")
    return store.load_catalog("demo")
