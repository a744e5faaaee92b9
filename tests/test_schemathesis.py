"""schemathesis against /api/openapi.json: no 5xx, and every response matches the schema.

The cases come from schemathesis's hypothesis strategies for each operation; they are
run directly (its pytest plugin does not support this pytest version).
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings



def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_conforms_and_never_fails(app):
    ops = operations(app)
    assert len(ops) >= 12
    failures: list[str] = []
    for op in ops:
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case):
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query}: "
                                f"{response.status_code}")
            case.validate_response(response)
        check()
    assert not failures, failures
