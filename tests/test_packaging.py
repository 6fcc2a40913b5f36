"""Packaging: what the README's two commands install, and that CI runs exactly its test command."""
from __future__ import annotations

import importlib
import re
import tomllib

from tests.conftest import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
TOOLS_NOT_RUNTIME = {"pytest", "playwright", "rank-bm25"}


def _requirements(path) -> dict[str, str]:
    """{normalised name: full line} of a requirements file (comments and blank lines skipped)."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name = re.match(r"[A-Za-z0-9._-]+", line).group(0)
            rows[re.sub(r"[-_.]+", "-", name).lower()] = line
    return rows


def _readme_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_runtime_requirements_are_pinned_and_carry_no_test_or_benchmark_tools():
    runtime = _requirements(PROJECT_ROOT / "requirements.txt")
    assert runtime["torch"] == "torch==2.13.0"  # the local CPU build; a range would pull CUDA
    assert all("==" in line for line in runtime.values()), runtime
    assert not TOOLS_NOT_RUNTIME & set(runtime)


def test_pyproject_takes_requirements_and_declares_the_extras_and_the_command():
    project = PYPROJECT["project"]
    assert project["name"] == "marquee" and project["requires-python"] == ">=3.11"
    assert project["dynamic"] == ["dependencies"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    extras = project["optional-dependencies"]
    assert {"test", "bench", "postgres", "spark", "api"} <= set(extras)
    names = {extra: {re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in rows} for extra, rows in extras.items()}
    assert {"pytest", "playwright"} <= names["test"] and "rank-bm25" in names["bench"]
    assert any(r.startswith("marquee[") and "postgres" in r for r in extras["test"])  # CI's store tests need psycopg
    assert "psycopg" in names["postgres"]
    module, _, function = project["scripts"]["marquee"].partition(":")
    assert (module, function) == ("core.cli", "main")  # the same entry as python -m core
    assert callable(getattr(importlib.import_module(module), function))


def test_ci_runs_exactly_the_readme_test_command():
    app_command, test_command = _readme_commands()
    assert app_command == "pip install -r requirements.txt && streamlit run app.py"
    ci = [line for line in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == test_command
