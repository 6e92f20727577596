"""Fixtures (registered in conftest) and helpers for the server-extension tests: a real Jupyter server
(pytest-jupyter) with the extension on, a client for its API, and a check of every answer against the
OpenAPI document shipped in the package.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from jupyter_mlops.server import apidoc

PREFIX = ("jupyter-mlops", "api")


def server_config(**server_app: object) -> dict:
    """pytest-jupyter's ``jp_server_config`` with the extension on (an editable install does not install the
    shared-data file that enables it on a real install). Each test module overrides the fixture with this."""
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlops": True}, **server_app}}


def doc_operation(method: str, route: str) -> tuple[str, dict]:
    """The OpenAPI path template and operation a request to ``route`` (e.g. 'jobs/abc') answers to."""
    doc = apidoc.document()
    path = "/" + route.split("?")[0]
    for template, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def _schema_validator(schema: dict) -> Draft202012Validator:
    uri = "urn:test:openapi"
    registry = Registry().with_resource(uri, Resource(contents=apidoc.document(), specification=DRAFT202012))
    text = json.dumps(schema).replace('"#/components/', f'"{uri}#/components/')
    return Draft202012Validator(json.loads(text), registry=registry)


def check_against_doc(method: str, route: str, status: int, payload: Any, headers) -> None:
    """The answer's status is documented for the operation and its JSON body matches the documented schema."""
    template, op = doc_operation(method, route)
    responses = op["responses"]
    assert str(status) in responses, f"{method} {template} answered {status}, not documented ({list(responses)})"
    response = responses[str(status)]
    if "$ref" in response:
        response = apidoc.document()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    errors = list(_schema_validator(schema).iter_errors(payload))
    assert not errors, f"{method} {template} {status}: body does not match the document: {errors[0].message}"
    assert headers.get("Content-Type", "").startswith("application/json")
    if "headers" in response and "Location" in response["headers"]:
        assert "/jupyter-mlops/api/jobs/" in headers["Location"]


class Api:
    """Calls the extension like the lab panel does (token header), and checks each answer against the document."""

    def __init__(self, fetch, root: Path) -> None:
        self.fetch, self.root = fetch, root

    async def call(
        self,
        method: str,
        route: str,
        body: Any = None,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        validate: bool = True,
    ) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False, "headers": dict(headers or {})}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["headers"].setdefault("Content-Type", "application/json")
        elif method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = b""
        resp = await self.fetch(*PREFIX, *route.split("/"), params=params, **kwargs)
        payload = json.loads(resp.body) if resp.body else None
        if validate:
            check_against_doc(method, route, resp.code, payload, resp.headers)
        self.last_headers = resp.headers
        return resp.code, payload

    async def get(self, route: str, **params: str) -> tuple[int, Any]:
        return await self.call("GET", route, params=params)

    async def post(self, route: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", route, body, **kw)

    async def wait(self, job: dict, timeout: float = 120) -> dict:
        """Poll the job until it ends, collecting its events the way the lab panel does (since=next_event)."""
        events: list[dict] = list(job["events"])
        since = job["next_event"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status, current = await self.get(f"jobs/{job['id']}", since=str(since))
            assert status == 200, current
            events += current["events"]
            since = current["next_event"]
            if current["state"] in ("succeeded", "failed", "cancelled"):
                current["all_events"] = events
                return current
            assert loop.time() < deadline, f"job {job['id']} still {current['state']} after {timeout}s"
            await asyncio.sleep(0.05)


@pytest.fixture
def api(jp_fetch, jp_root_dir) -> Api:
    return Api(jp_fetch, Path(jp_root_dir))


def check_schema(component: str, payload: Any) -> None:
    """``payload`` matches ``components/schemas/<component>`` of the document (e.g. a job's result)."""
    errors = list(_schema_validator({"$ref": f"#/components/schemas/{component}"}).iter_errors(payload))
    assert not errors, f"{component}: {errors[0].message} at {list(errors[0].absolute_path)}"


@pytest.fixture
def server_log(jp_serverapp):
    """Everything the server logs while the test runs, at DEBUG: Jupyter's log, the extension's own logger
    (which does not propagate: it carries the access log of our routes) and the root logger (jobs)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [jp_serverapp.log, jp_serverapp.web_app.settings["jupyter_mlops"].log, logging.getLogger()]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield stream.getvalue
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
