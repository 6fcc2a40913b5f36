"""Helpers for the hostile-input suite: run the CLI as a person would and check how it fails."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str] | None = None, timeout: float = 120,
            stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, input=stdin)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit status 2, stderr ends in exactly one ``error:`` line, no traceback; returns that line."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    line = errors[0]
    assert proc.stderr.rstrip("\n").endswith(line), f"something printed after the error line:\n{proc.stderr[-2000:]}"
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


@pytest.fixture
def cli_dirs(tmp_path) -> dict[str, str]:
    """Environment for a CLI run with its own empty data, artifacts and log folders."""
    return {"MARQUEE_DATA_DIR": str(tmp_path / "data"), "MARQUEE_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
            "MARQUEE_LOG_DIR": str(tmp_path / "logs")}
