"""OpenAPI-driven fuzzing (schemathesis), bounded: for every operation, schema-valid and invalid
requests never get a 500, never a response outside the documented schema, status codes or
content types; invalid data is refused; the API key is enforced.

``positive_data_acceptance`` is left out: the schema cannot say which catalogs, genres, profiles
or films exist, so a schema-valid request may rightly be a 404/422 (tested per endpoint in
test_api_in_process.py and test_api_models.py). Labels go to a throwaway store. Bounded: at most
``EXAMPLES`` requests per operation and mode, derandomized (the same cases every run).
"""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402  (schemathesis brings hypothesis)
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

KEY = "fuzz-test-key-0123456789"
EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzz_schema(api_catalog, trained, encoder, tmp_path_factory):
    from core.service import Settings, create_app

    patch = pytest.MonkeyPatch()
    patch.setenv("MARQUEE_LABELS_URL", str(tmp_path_factory.mktemp("fuzz-labels") / "labels.db"))
    app = create_app(Settings(api_keys=(KEY,)), encoder=encoder)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    patch.undo()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_500_and_no_schema_violation(fuzz_schema, mode):
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers={"X-API-Key": KEY}, excluded_checks=[positive_data_acceptance])

        run()
