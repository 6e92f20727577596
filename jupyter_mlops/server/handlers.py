"""HTTP handlers: parse the request, call ``actions``, answer. Errors are mapped in one place (write_error)."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, TypeVar, cast

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join

from .. import payloads
from ..errors import InvalidInput, MlopsError, NotFound
from ..operations.jobs import INTERNAL_ERROR, Job, JobManager, redact
from . import actions, apidoc, bodies
from .paths import relative, resolve

Body = TypeVar("Body", bound=Mapping[str, object])  # a TypedDict of bodies.py

if TYPE_CHECKING:  # app.py imports this module to register the handlers
    from .app import MlopsExtension

AUTH_RESOURCE = "jupyter_mlops"
API = "jupyter-mlops/api"
# Request fields that carry credentials: kept out of every log line and error message.
_SECRET_FIELDS = ("token", "secrets", "credentials")


def _secret_values(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for key in _SECRET_FIELDS:
        walk(body.get(key))
    return out


class MlopsHandler(ExtensionHandlerMixin, APIHandler):
    auth_resource = AUTH_RESOURCE
    extensionapp: MlopsExtension  # the mixin's app, which is always ours here
    _secrets: list[str]

    def initialize(self, name: str, *args: Any, **kwargs: Any) -> None:
        super().initialize(name, *args, **kwargs)
        self._secrets = []

    # ------------------------------------------------------------ request helpers

    @property
    def jobs(self) -> JobManager:
        return self.extensionapp.jobs

    @property
    def root_dir(self) -> str:
        return self.settings.get("server_root_dir") or self.contents_manager.root_dir

    def json_body(self, schema: type[Body]) -> Body:
        """The request's JSON, checked against the API document's schema of the same name as ``schema``
        (a TypedDict of bodies.py): once checked, it has that type's keys and value types."""
        body = apidoc.parse_body(self.request.body)
        self._secrets = _secret_values(body)
        return cast(Body, apidoc.check_body(schema.__name__, body))

    # The route in the API document, for checking query parameters against it.
    doc_path = ""

    def query(self, name: str, required: bool = False) -> str | None:
        value = self.get_query_argument(name, None)
        if required and value is None:
            raise InvalidInput(f"The query parameter {name!r} is missing; e.g. ?{name}=projects/wine-quality")
        if value is not None and self.doc_path:
            apidoc.check_query(self.doc_path, self.request.method or "GET", name, value)
        return value

    @property
    def github_hosts(self) -> tuple[str, ...]:
        """The API hosts the server's own GitHub token may go to (``c.MlopsExtension.github_hosts``)."""
        return tuple(self.extensionapp.github_hosts)

    async def blocking(self, fn: Callable, *args: Any) -> Any:
        """Run file or network work off the event loop."""
        return await asyncio.to_thread(fn, *args)

    # ------------------------------------------------------------ responses

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(payload))

    def accepted(self, job: Job) -> None:
        self.jobs.submit(job)
        self._secrets = []
        self.set_header("Location", url_path_join(self.base_url, API, "jobs", job.id))
        self.reply(job.snapshot(), 202)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The one mapping from exceptions to ``{message, reason}`` and a status code."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, MlopsError):
            status_code = exc.http_status
            payload: payloads.Error = {"message": exc.message, "reason": exc.reason}
            if exc.details:
                payload["details"] = list(exc.details)
        elif isinstance(exc, tornado.web.HTTPError) or exc is None:
            phrase = (
                self._reason if exc is None else (exc.reason or tornado.httputil.responses.get(status_code, "Error"))
            )
            message = (
                exc.log_message % exc.args
                if exc is not None and exc.log_message and exc.args
                else getattr(exc, "log_message", None)
            ) or phrase
            payload = {"message": message, "reason": phrase.lower().replace(" ", "_")}
        else:
            status_code, payload = 500, {"message": INTERNAL_ERROR, "reason": "internal_error"}
        payload = json.loads(redact(json.dumps(payload), self._secrets))
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(value, MlopsError):
            return  # the client's mistake (or a remote's), answered with its message; the access log has it
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        text = redact("".join(traceback.format_exception(typ, value, tb)), self._secrets)
        self.log.error("jupyter-mlops: unexpected error in %s %s\n%s", self.request.method, self.request.path, text)


def _route(method: Callable) -> Callable:
    """The decorators every route method has: Jupyter authentication, then authorization on our resource."""
    return tornado.web.authenticated(authorized(method))


# ---------------------------------------------------------------- routes


class DefaultsHandler(MlopsHandler):
    doc_path = "/defaults"

    @_route
    async def get(self) -> None:
        args = (self.root_dir, self.query("path"), self.query("name"), self.query("branches"))
        self.reply(await self.blocking(actions.defaults, *args))


class SchemaHandler(MlopsHandler):
    doc_path = "/schema"

    @_route
    async def get(self) -> None:
        self.reply(actions.schema(self.query("branches")))


class ValidateHandler(MlopsHandler):
    @_route
    async def post(self) -> None:
        self.reply(actions.validate(self.json_body(bodies.ValidateRequest)))


class PlanHandler(MlopsHandler):
    @_route
    async def post(self) -> None:
        body = self.json_body(bodies.InitRequest)
        plan = await self.blocking(actions.init_plan, self.root_dir, body)
        self.reply(actions.plan_payload(self.root_dir, plan))


class JobRoute(MlopsHandler):
    """POST a request body (``schema`` in the API document) → 202 and the job ``action`` made of it."""

    schema: type[bodies.PathRequest]
    action: Callable[..., Job]
    uses_github = False  # the action takes the hosts the server's token may go to

    @_route
    async def post(self) -> None:
        body = self.json_body(self.schema)
        # Before planning: a plan read while another job writes the same folder would read half a project.
        self.jobs.ensure_idle(relative(self.root_dir, resolve(self.root_dir, body["path"])))
        options = {"github_hosts": self.github_hosts} if self.uses_github else {}
        self.accepted(await self.blocking(lambda: self.action(self.root_dir, body, **options)))


class InitHandler(JobRoute):
    schema, action = bodies.InitRequest, staticmethod(actions.init_job)


class PushHandler(JobRoute):
    schema, action, uses_github = bodies.PushRequest, staticmethod(actions.push_job), True


class SecretsHandler(MlopsHandler):
    doc_path = "/secrets"

    @_route
    async def get(self) -> None:
        token = self.request.headers.get("X-GitHub-Token") or None
        self._secrets = [token] if token else []
        args = (self.root_dir, self.query("path", required=True), self.query("env"), self.query("github_url"), token)
        self.reply(await self.blocking(actions.secrets_list, *args, self.github_hosts))

    @_route
    async def post(self) -> None:
        body = self.json_body(bodies.SecretsRequest)
        self.reply(await self.blocking(actions.secrets_set, self.root_dir, body, self.github_hosts))


class StatusHandler(MlopsHandler):
    doc_path = "/status"

    @_route
    async def get(self) -> None:
        self.reply(await self.blocking(actions.status, self.root_dir, self.query("path", required=True)))


class CheckHandler(JobRoute):
    schema, action = bodies.CheckRequest, staticmethod(actions.check_job)


class RunHandler(JobRoute):
    schema, action = bodies.RunRequest, staticmethod(actions.run_job)


class SyncHandler(JobRoute):
    schema, action, uses_github = bodies.SyncRequest, staticmethod(actions.sync_job), True


class JobHandler(MlopsHandler):
    @_route
    async def get(self, job_id: str) -> None:
        raw = self.query("since") or "0"
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
            raise InvalidInput(f"since={raw!r}: give the index of the first event wanted, e.g. since=0")
        self.reply(self.jobs.get(job_id).snapshot(int(raw)))

    @_route
    async def delete(self, job_id: str) -> None:
        self.reply(self.jobs.cancel(job_id).snapshot(), 202)


class UnknownRouteHandler(MlopsHandler):
    """Anything else under the API prefix: a JSON 404 (after the same authentication)."""

    async def _unknown(self, **kwargs: Any) -> None:
        raise NotFound(
            f"{self.request.path} is not a jupyter-mlops API route; see the API document "
            "(jupyter_mlops/server/openapi.yaml)."
        )

    get = post = put = patch = delete = _route(_unknown)


def routes() -> list[tuple]:
    """Patterns relative to the server's base_url (the ExtensionApp prepends it)."""
    table = [
        ("defaults", DefaultsHandler),
        ("schema", SchemaHandler),
        ("validate", ValidateHandler),
        ("plan", PlanHandler),
        ("init", InitHandler),
        ("push", PushHandler),
        ("secrets", SecretsHandler),
        ("status", StatusHandler),
        ("check", CheckHandler),
        ("run", RunHandler),
        ("sync", SyncHandler),
        (r"jobs/(?P<job_id>[^/]+)", JobHandler),
    ]
    out = [(url_path_join("/", API, pattern), handler) for pattern, handler in table]
    out.append((url_path_join("/", API, "(?P<rest>.*)"), UnknownRouteHandler))
    return out
