"""Every route of the extension needs Jupyter's authentication, and mutating ones its XSRF check.

The server runs with ``allow_unauthenticated_access=False``; the routes come from the OpenAPI document,
which is itself checked to list exactly the routes the extension serves.
"""

from __future__ import annotations

import json
import re
import uuid
from http.cookies import SimpleCookie

import pytest
from jupyter_server.utils import url_path_join

from jupyter_mlops.server import apidoc
from jupyter_mlops.server.handlers import API, routes
from tests.server_support import check_against_doc, server_config


@pytest.fixture
def jp_server_config():
    return server_config(allow_unauthenticated_access=False)


def documented_requests() -> list[tuple[str, str]]:
    out = []
    for template, item in apidoc.document()["paths"].items():
        path = template.replace("{id}", uuid.uuid4().hex)
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                out.append((method.upper(), path.lstrip("/")))
    return out


def test_the_document_lists_exactly_the_routes_served():
    served = {
        re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.split(API + "/", 1)[1]).replace("{job_id}", "{id}")
        for pattern, _handler in routes()
    } - {"{rest}"}
    assert served == {p.lstrip("/") for p in apidoc.document()["paths"]}


def _url(jp_base_url: str, route: str) -> str:
    return url_path_join(jp_base_url, API, route)


@pytest.mark.parametrize("method, route", documented_requests() + [("GET", "no-such-route")])
async def test_without_a_token_every_route_answers_403(http_server_client, jp_base_url, method, route):
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    resp = await http_server_client.fetch(
        _url(jp_base_url, route) + "?path=p", method=method, body=body, raise_error=False, follow_redirects=False
    )
    assert resp.code == 403, (method, route, resp.code)
    assert json.loads(resp.body)["reason"] == "forbidden"  # the one error shape, even here


async def test_with_a_cookie_but_no_xsrf_mutating_routes_answer_403(
    http_server_client, jp_base_url, jp_auth_header, jp_root_dir
):
    # Log in once with the token, as a browser does: the server answers with its login cookie.
    resp = await http_server_client.fetch(_url(jp_base_url, "schema"), headers=jp_auth_header)
    cookies = SimpleCookie()
    for header in resp.headers.get_list("Set-Cookie"):
        cookies.load(header)
    login = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
    assert login, "the server set no login cookie"

    # The cookie alone authenticates reads...
    resp = await http_server_client.fetch(_url(jp_base_url, "schema"), headers={"Cookie": login})
    assert resp.code == 200
    # ...but no write: every mutating route refuses it without the XSRF token.
    for method, route in documented_requests():
        if method == "GET":
            continue
        resp = await http_server_client.fetch(
            _url(jp_base_url, route),
            method=method,
            headers={"Cookie": login},
            body=b'{"path": "p"}' if method == "POST" else None,
            raise_error=False,
        )
        assert resp.code == 403 and b"xsrf" in resp.body.lower(), (method, route, resp.code, resp.body)
    assert list(jp_root_dir.iterdir()) == []

    # With the XSRF cookie echoed in the header (what JupyterLab's ServerConnection does), the write goes through.
    xsrf = uuid.uuid4().hex
    headers = {"Cookie": f"{login}; _xsrf={xsrf}", "X-XSRFToken": xsrf, "Content-Type": "application/json"}
    resp = await http_server_client.fetch(
        _url(jp_base_url, "plan"), method="POST", headers=headers, body=b'{"path": "p"}', raise_error=False
    )
    assert resp.code == 200, resp.body


async def test_the_token_header_is_accepted_on_every_route(http_server_client, jp_base_url, jp_auth_header):
    """The other side of the 403 test: with the token, no route answers 403 (each answers as documented)."""
    for method, route in documented_requests():
        body = b'{"path": "p"}' if method == "POST" else None
        resp = await http_server_client.fetch(
            _url(jp_base_url, route) + "?path=p", method=method, body=body, headers=jp_auth_header, raise_error=False
        )
        assert resp.code != 403, (method, route, resp.body)
        check_against_doc(method, route, resp.code, json.loads(resp.body), resp.headers)
