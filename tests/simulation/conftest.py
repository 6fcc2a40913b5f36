"""The CF test catalog and ratings fixtures, shared with tests/cf."""
from tests.cf.conftest import cf_catalog, tiny_ratings  # noqa: F401  (pytest fixtures)
