"""The whole OpenAPI schema generates without a warning or an error, as
`manage.py spectacular --validate --fail-on-warn` would demand."""

from __future__ import annotations

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_schema_is_clean_and_valid() -> None:
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(patterns=None).get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert not messages, messages
    validate_schema(schema)
    assert "/api/v1/dashboard/caseloads/" in schema["paths"]
    assert "/api/v1/approvals/" in schema["paths"]
