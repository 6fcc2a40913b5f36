"""Shared fixtures.

Every test session gets its own data and artifacts folders (set before any test imports core),
so tests never touch the user's ``data/`` or ``artifacts/``. Expensive catalogs are built once
per session. Tests needing ``../shared/data`` skip with a reason when it is absent, except under
``CI=true`` where its absence is a failure.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

_SESSION_ROOT = Path(tempfile.mkdtemp(prefix="marquee-tests-"))
os.environ["MARQUEE_DATA_DIR"] = str(_SESSION_ROOT / "data")
os.environ["MARQUEE_ARTIFACTS_DIR"] = str(_SESSION_ROOT / "artifacts")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _skip_or_fail_in_ci(message: str, in_ci: str) -> None:
    """Skip with ``message`` locally; under ``CI=true`` fail, adding ``in_ci``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; {in_ci}")
    pytest.skip(message)


def require_shared_data(*parts: str) -> Path:
    """Path inside ``../shared/data``; skip (or fail under CI) when it is missing."""
    from core.config import shared_data_dir

    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        _skip_or_fail_in_ci(f"real data not found at {path} (expected ../shared/data beside the project)",
                            "CI always has it")
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


# --- Real-data catalogs (importers helper): each built once per session, then loaded. ---------

def _real_catalog(name: str, data_dir: Path, build):
    from core.catalog import store
    from core.catalog.importers.base import save_import

    if not store.exists(name, data_dir):
        save_import(build(), name, data_dir=data_dir)
    return store.load_catalog(name, data_dir=data_dir)


@pytest.fixture(scope="session")
def wikipedia_catalog(session_data_dir):
    """All Wikipedia decades as catalog "wiki" (~36k films, no ratings)."""
    from core.catalog.importers.wikipedia import import_wikipedia

    folder = require_shared_data("wikipedia-movies")
    return _real_catalog("wiki", session_data_dir, lambda: import_wikipedia(folder))


@pytest.fixture(scope="session")
def imdb5000_catalog(session_data_dir):
    """The IMDB 5000 table as catalog "imdb5000" (~4.9k films, directors, 3 billed actors)."""
    from core.catalog.importers.imdb5000 import import_imdb5000

    path = require_shared_data("imdb-5000", "movie_metadata.csv")
    return _real_catalog("imdb5000", session_data_dir, lambda: import_imdb5000(path))


@pytest.fixture(scope="session")
def wiki_imdb_catalog(session_data_dir, wikipedia_catalog, imdb5000_catalog):
    """Wikipedia enriched with IMDB 5000 (budgets, directors, imdb ids) as catalog "wiki_imdb"."""
    from core.catalog.merge import merge_catalogs

    return _real_catalog("wiki_imdb", session_data_dir, lambda: merge_catalogs(wikipedia_catalog, imdb5000_catalog))


@pytest.fixture(scope="session")
def ml100k_catalog(session_data_dir):
    """MovieLens 100K (+ IMDb details) as catalog "ml100k": 1,682 films, 100,000 ratings."""
    from core.catalog.importers.movielens import import_movielens

    folder = require_shared_data("ml-100k")
    return _real_catalog("ml100k", session_data_dir, lambda: import_movielens(folder))


@pytest.fixture(scope="session")
def ml_small_catalog(session_data_dir):
    """MovieLens latest-small as catalog "ml_small": 9,742 films, 100,836 ratings, imdb/tmdb ids."""
    from core.catalog.importers.movielens import import_movielens

    folder = require_shared_data("ml-latest-small")
    return _real_catalog("ml_small", session_data_dir, lambda: import_movielens(folder))


# --- PostgreSQL (infra): a real server named by MARQUEE_TEST_POSTGRES_URL, one schema per store. ---

POSTGRES_URL_VARIABLE = "MARQUEE_TEST_POSTGRES_URL"
_postgres_tests: set[str] = set()  # node ids of tests that used the server
_postgres_outcomes: dict[str, int] = {}


def require_postgres_url() -> str:
    """The test server's URL; skip (or fail under CI) when none is given or psycopg is missing."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        _skip_or_fail_in_ci(f"no PostgreSQL server given (set {POSTGRES_URL_VARIABLE}=postgresql://…)",
                            ".ci/run always starts one")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _skip_or_fail_in_ci("psycopg is not installed (pip install -e '.[test]')", "the test extra carries it")
    return url


def with_search_path(url: str, schema: str) -> str:
    """``url`` whose sessions use ``schema`` first (libpq's ``options`` parameter)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"] + [("options", f"-c search_path={schema}")]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


@pytest.fixture
def postgres_schemas(request):
    """``new()`` -> URL of a fresh, empty schema on the test server; all dropped after the test."""
    base = require_postgres_url()
    import psycopg

    _postgres_tests.add(request.node.nodeid)
    made = []

    def new() -> str:
        schema = f"test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return with_search_path(base, schema)

    yield new
    with psycopg.connect(base, autocommit=True) as conn:
        for schema in made:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url(postgres_schemas) -> str:
    """URL of one fresh, empty schema on the test server."""
    return postgres_schemas()


def pytest_runtest_logreport(report):
    if report.nodeid in _postgres_tests and (report.when == "call" or report.outcome != "passed"):
        _postgres_outcomes[report.outcome] = _postgres_outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    """One line saying whether the PostgreSQL tests ran against a real server (CI's proof)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if _postgres_tests and url:
        where = urlsplit(url)
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_postgres_outcomes.items()))
        terminalreporter.write_line(f"PostgreSQL tests against the server at {where.hostname}:{where.port}: {counts}")
