"""One Spark session for the whole test session (``local[2]``, 2 shuffle partitions, 1 GB driver).

Without pyspark or Java the Spark tests skip with the reason; under ``CI=true`` that is a failure
(``.ci/run`` installs ``requirements-spark.txt`` and a Java runtime).
"""
from __future__ import annotations

import os

import pytest

MASTER = "local[2]"
TEST_CONF = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2", "spark.driver.memory": "1g",
             "spark.sql.execution.arrow.maxRecordsPerBatch": "1000"}


def require_spark() -> None:
    from core.spark import spark_missing_reason

    reason = spark_missing_reason(MASTER)
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI installs it (.ci/run), so the Spark tests must run there")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def spark():
    require_spark()
    from core.spark import get_session, stop_session

    session = get_session(MASTER, conf=TEST_CONF, app_name="marquee-tests")
    yield session
    stop_session()


def pytest_collection_modifyitems(config, items):
    # pyspark 4.x warns that pandas 3 is "not yet fully supported" on every conversion; the
    # conversions used here are exactly what these tests check.
    marker = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
    for item in items:
        if "tests/spark/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(marker)
