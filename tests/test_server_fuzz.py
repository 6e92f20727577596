"""Schemathesis against the OpenAPI document: generated requests (valid and invalid) never get a 5xx,
and every answer is as documented.

Bounded (a fixed number of examples per operation, no example database) so it stays a few seconds.
"""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from jupyter_mlops.server import apidoc
from tests.server_support import server_config

EXAMPLES = 15


@pytest.fixture
def jp_server_config():
    return server_config()


POSITIVE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [checks.not_a_server_error, checks.content_type_conformance, checks.response_schema_conformance]


def exercise(base_url: str, headers: dict, mode: GenerationMode) -> dict[str, int]:
    schema = schemathesis.openapi.from_dict(apidoc.document())
    seen: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    # init last: the folders it creates could otherwise become projects that push would take to the network.
    operations.sort(key=lambda op: op.path == "/init")
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            case.validate_response(response, checks=POSITIVE_CHECKS if mode.is_positive else NEGATIVE_CHECKS)
            seen[f"{case.method} {response.status_code}"] = seen.get(f"{case.method} {response.status_code}", 0) + 1

        check()
    return seen


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
async def test_generated_requests_get_no_5xx_and_documented_answers(
    http_server_client, jp_http_port, jp_base_url, jp_auth_header, mode
):
    base_url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}jupyter-mlops/api"
    # requests (schemathesis' transport) blocks: run it on a thread while this loop serves the requests.
    seen = await asyncio.to_thread(exercise, base_url, dict(jp_auth_header), mode)
    assert sum(seen.values()) >= EXAMPLES * 5
    assert any(key.endswith(" 200") or key.endswith(" 202") for key in seen)  # not only refusals
    assert any(key.split()[1].startswith("4") for key in seen)
