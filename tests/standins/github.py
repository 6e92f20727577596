"""A local GitHub: the REST endpoints jupyter-mlops calls, and git smart HTTP for the repositories.

Runs on 127.0.0.1 (a free port) in threads, so a test, a benchmark or a script (the lab's browser
tests) can start it. The API is reached the GitHub Enterprise way, ``http://127.0.0.1:PORT/api/v3``,
and the repositories at ``http://127.0.0.1:PORT/OWNER/REPO.git`` through ``git http-backend`` (CGI),
with the token as the basic-auth password, as on GitHub.

Fidelity rules: every status code and payload the product relies on follows the GitHub REST docs
page named next to its handler; state is in memory (plus bare repositories on disk); secrets are
checked for real: each environment and repository has a libsodium key pair, and every secret that
arrives is decrypted with it (a value that does not decrypt is refused).

Test controls: ``inject(fault, method, path, times)`` (500, reset, secondary rate limit, 422, any
status), ``set_latency(seconds)``, ``calls`` / ``write_calls()``, ``secret_value(...)``.

    with GitHubStandIn(login="octo") as gh:
        os.environ["GITHUB_TOKEN"] = gh.token
        ...  # jupyter mlops push --owner octo --github-url {gh.api_url}
"""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import re
import secrets as _secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from nacl.public import PrivateKey, SealedBox

GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
API_PREFIX = "/api/v3"
CONTROL_PREFIX = "/_standin/"  # test controls (not GitHub): see StandInProcess
DOCS = "https://docs.github.com/rest"

# docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
# docs.github.com/rest/branches/branch-protection: on a plan without protected branches for
# private repositories (GitHub Free) every protection endpoint answers 403 with this message.
UPGRADE_MESSAGE = "Upgrade to GitHub Pro or make this repository public to enable this feature."

# GitHub refuses workflow files pushed by an OAuth/classic token without the `workflow` scope
# (docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps: "workflow").
PRE_RECEIVE_HOOK = r"""#!/bin/sh
case " $STANDIN_TOKEN_SCOPES " in *" workflow "*|*" none "*) exit 0 ;; esac
status=0
while read old new ref; do
  [ "$new" = 0000000000000000000000000000000000000000 ] && continue
  if [ "$old" = 0000000000000000000000000000000000000000 ]; then range="$new --not --all"; else range="$old..$new"; fi
  files=$(git log --format= --name-only $range -- .github/workflows | sort -u | head -1)
  if [ -n "$files" ]; then
    msg="refusing to allow a Personal Access Token to create or update workflow"
    echo "$msg \`$files\` without \`workflow\` scope" >&2
    status=1
  fi
done
exit $status
"""


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_id() -> str:
    return "".join(str(_secrets.randbelow(10)) for _ in range(18))


# ---------------------------------------------------------------- state


@dataclass
class TokenInfo:
    login: str
    scopes: tuple[str, ...] | None = ("repo", "workflow")  # None: a fine-grained token (no scopes header)
    # fine-grained tokens: repository permissions it has, e.g. {"secrets": "write"}; None: every permission
    permissions: dict[str, str] | None = None

    def require(self, permission: str, level: str) -> None:
        """docs.github.com/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens:
        a call the token lacks the permission for answers 403 and names the permission it needs in
        X-Accepted-GitHub-Permissions."""
        if self.scopes is not None or self.permissions is None:
            return
        have = self.permissions.get(permission)
        if have == level or (have == "write" and level == "read"):
            return
        err = ApiError(403, "Resource not accessible by personal access token")
        err.headers["X-Accepted-GitHub-Permissions"] = f"{permission}={level}"
        raise err


@dataclass
class Org:
    login: str
    id: int
    members: dict[str, str] = field(default_factory=dict)  # login -> "admin" | "member"
    members_can_create_repositories: bool = True
    plan: str = "team"


@dataclass
class KeyPair:
    private: PrivateKey = field(default_factory=PrivateKey.generate)
    key_id: str = field(default_factory=_key_id)

    def public_json(self) -> dict:
        return {"key_id": self.key_id, "key": base64.b64encode(bytes(self.private.public_key)).decode()}

    def decrypt(self, encrypted_value: str) -> str:
        return SealedBox(self.private).decrypt(base64.b64decode(encrypted_value)).decode("utf-8")


@dataclass
class Secret:
    name: str
    value: str
    created_at: str
    updated_at: str

    def to_json(self) -> dict:
        return {"name": self.name, "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass
class Environment:
    name: str
    id: int
    created_at: str
    updated_at: str
    deployment_branch_policy: dict | None = None
    branch_policies: list[dict] = field(default_factory=list)
    secrets: dict[str, Secret] = field(default_factory=dict)
    keys: KeyPair = field(default_factory=KeyPair)


@dataclass
class Repository:
    owner: str
    name: str
    id: int
    private: bool
    description: str
    path: Path
    created_at: str
    default_branch: str = "main"
    environments: dict[str, Environment] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict)
    keys: KeyPair = field(default_factory=KeyPair)
    protection: dict[str, dict] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def branches(self) -> dict[str, str]:
        """Branch -> commit, read from the bare repository's refs (loose refs win over packed ones)."""
        heads: dict[str, str] = {}
        packed = self.path / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                sha, _, ref = line.partition(" ")
                if line[:1] not in ("#", "^") and ref.startswith("refs/heads/"):
                    heads[ref[len("refs/heads/") :]] = sha
        base = self.path / "refs" / "heads"
        for ref in base.rglob("*"):
            if ref.is_file() and not ref.name.endswith(".lock"):
                sha = ref.read_text().strip()
                if len(sha) == 40:
                    heads[ref.relative_to(base).as_posix()] = sha
        return heads


@dataclass
class Call:
    method: str
    path: str
    status: int
    kind: str  # "api" | "git"
    time: float  # when the answer went out
    start: float = 0.0  # when the request arrived (before any injected latency)


@dataclass
class Fault:
    kind: str  # "500" | "reset" | "secondary_rate_limit" | "422" | "status"
    method: str
    path: str
    times: int
    status: int = 500
    retry_after: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


class State:
    """Everything the stand-in knows; tests read it (``server.state``) to check what a user would see."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.users: dict[str, dict] = {}
        self.orgs: dict[str, Org] = {}
        self.tokens: dict[str, TokenInfo] = {}
        self.repos: dict[tuple[str, str], Repository] = {}
        self._ids = 1000

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def repo(self, owner: str, name: str) -> Repository | None:
        return self.repos.get((owner.lower(), name.lower()))

    def account(self, login: str) -> tuple[str, dict | Org] | None:
        if login.lower() in self.users:
            return "User", self.users[login.lower()]
        if login.lower() in self.orgs:
            return "Organization", self.orgs[login.lower()]
        return None


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "documentation_url": DOCS, **extra}
        self.headers: dict[str, str] = {}


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


# ---------------------------------------------------------------- the server


class GitHubStandIn:
    """Start with ``start()`` (or ``with``); ``api_url`` is what ``--github-url`` takes."""

    def __init__(
        self,
        *,
        login: str = "octo",
        token: str | None = None,
        scopes: tuple[str, ...] | None = ("repo", "workflow"),
        plan: str = "pro",
        exposed_plan: str | None = "same",
        free_environments_status: int = 404,
        root: Path | str | None = None,
        latency: float = 0.0,
    ) -> None:
        self._own_root = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="github-standin-"))
        (self.root / "git").mkdir(parents=True, exist_ok=True)
        self.state = State(self.root / "git")
        self.plan = plan  # "free" | "pro" | "team" | "enterprise": decides environments/protection on private repos
        # what GET /user reports as the plan: None hides it (as GitHub Enterprise Server does); another name
        # makes the answers contradict the plan, to test a client that trusts it
        self.exposed_plan = plan if exposed_plan == "same" else exposed_plan
        self.free_environments_status = free_environments_status
        self.latency = latency
        self.latency_paths = "*"
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_user(login)
        self.login = login
        self.token = token or "ghp_" + _secrets.token_hex(18)
        self.add_token(self.token, login, scopes)

    # ------------------------------------------------------------ setup

    def add_user(self, login: str) -> None:
        self.state.users[login.lower()] = {"login": login, "id": self.state.next_id(), "type": "User"}

    def add_org(
        self,
        login: str,
        members: dict[str, str] | None = None,
        *,
        members_can_create_repositories: bool = True,
        plan: str = "team",
    ) -> Org:
        org = Org(login, self.state.next_id(), dict(members or {}), members_can_create_repositories, plan)
        self.state.orgs[login.lower()] = org
        return org

    def add_token(
        self,
        token: str,
        login: str,
        scopes: tuple[str, ...] | None = ("repo", "workflow"),
        permissions: dict[str, str] | None = None,
    ) -> str:
        if login.lower() not in self.state.users:
            self.add_user(login)
        self.state.tokens[token] = TokenInfo(login, tuple(scopes) if scopes is not None else None, permissions)
        return token

    def new_token(
        self,
        login: str | None = None,
        scopes: tuple[str, ...] | None = ("repo", "workflow"),
        permissions: dict[str, str] | None = None,
    ) -> str:
        """``scopes=None``: a fine-grained token (``github_pat_…``), limited to ``permissions`` when given."""
        prefix = "ghp_" if scopes is not None else "github_pat_"
        return self.add_token(prefix + _secrets.token_hex(18), login or self.login, scopes, permissions)

    # ------------------------------------------------------------ controls

    def inject(
        self, fault: str, method: str = "*", path: str = "*", times: int = 1, *, status: int = 500, retry_after: int = 1
    ) -> Fault:
        """Make the next ``times`` matching requests fail.

        fault: "500" (Internal Server Error), "reset" (connection dropped before an answer),
        "secondary_rate_limit" (403 + Retry-After), "422" (Validation Failed), "status" (``status``).
        path: a glob on the API path without /api/v3 ("/repos/*/environments/*") or a git path
        ("/octo/wine.git/*").
        """
        if fault not in ("500", "reset", "secondary_rate_limit", "422", "status"):
            raise ValueError(f"unknown fault {fault!r}")
        f = Fault(fault, method.upper(), path, times, status, retry_after)
        self.faults.append(f)
        return f

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_latency(self, seconds: float, paths: str = "*") -> None:
        self.latency, self.latency_paths = seconds, paths

    def reset_calls(self) -> None:
        with self._calls_lock:
            self.calls.clear()

    def api_calls(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "api"]

    def write_calls(self) -> list[Call]:
        """REST calls that change something (anything but GET/HEAD), and git pushes."""
        return [
            c
            for c in self.calls
            if (c.kind == "api" and c.method not in ("GET", "HEAD"))
            or (c.kind == "git" and c.path.endswith("/git-receive-pack"))
        ]

    def secret_value(self, owner: str, repo: str, name: str, environment: str | None = None) -> str:
        r = self.state.repo(owner, repo)
        store = r.environments[environment].secrets if environment else r.secrets
        return store[name.upper()].value

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "GitHubStandIn":
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="github-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "GitHubStandIn":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the stand-in first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    def clone_url(self, owner: str, repo: str) -> str:
        return f"{self.base_url}/{owner}/{repo}.git"

    # ------------------------------------------------------------ shared logic

    def environments_available(self, repo: Repository) -> bool:
        """docs.github.com/actions/deployment/targeting-different-environments/using-environments-for-deployment:
        environments (and their secrets) in private repositories need Pro, Team or Enterprise."""
        if not repo.private:
            return True
        return self._owner_plan(repo) != "free"

    def protection_available(self, repo: Repository) -> bool:
        """docs.github.com/get-started/learning-about-github/githubs-plans: protected branches in private
        repositories need Pro, Team or Enterprise."""
        return not repo.private or self._owner_plan(repo) != "free"

    def _owner_plan(self, repo: Repository) -> str:
        org = self.state.orgs.get(repo.owner.lower())
        return org.plan if org else self.plan

    def create_bare(self, owner: str, name: str) -> Path:
        path = self.state.root / owner.lower() / f"{name.lower()}.git"
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
        subprocess.run(["git", "config", "http.receivepack", "true"], cwd=path, check=True)
        hook = path / "hooks" / "pre-receive"
        hook.write_text(PRE_RECEIVE_HOOK)
        hook.chmod(0o755)
        return path


# ---------------------------------------------------------------- request handling


Route = tuple[str, re.Pattern, Callable]
ROUTES: list[Route] = []


def route(method: str, pattern: str):
    def register(fn):
        ROUTES.append((method, re.compile("^" + pattern + "$"), fn))
        return fn

    return register


SEG = r"([^/]+)"


class _Handler(BaseHTTPRequestHandler):
    standin: GitHubStandIn
    protocol_version = "HTTP/1.1"
    server_version = "GitHubStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # every verb goes through one dispatcher
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        self._arrived = time.time()
        s = self.standin
        url = urlsplit(self.path)
        path = unquote(url.path)
        is_api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        rel = (path[len(API_PREFIX) :] or "/") if is_api else path
        body = self._read_body()
        if path.startswith(CONTROL_PREFIX):
            self._control(path[len(CONTROL_PREFIX) :], body)
            return
        if s.latency and fnmatch.fnmatchcase(rel, s.latency_paths):
            time.sleep(s.latency)
        fault = next((f for f in list(s.faults) if f.matches(self.command, rel)), None)
        if fault is not None:
            fault.times -= 1
            if fault.kind == "reset":
                self._record(rel, 0, is_api)
                self._reset()
                return
            err = self._fault_error(fault)
            self._record(rel, err.status, is_api)
            self._send_json(err.status, err.body, err.headers)
            return
        if is_api:
            self._api(rel, url.query, body)
        else:
            self._git(path, url.query, body)

    def _control(self, what: str, body: bytes) -> None:
        """The test controls over HTTP, for a stand-in running in its own process (``StandInProcess``)."""
        s = self.standin
        data = json.loads(body) if body else {}
        method_path = f"{self.command} {what}"
        if method_path == "GET calls":
            out: Any = [c.__dict__ for c in s.calls]
        elif method_path == "POST reset":
            s.reset_calls()
            out = {}
        elif method_path == "POST latency":
            s.set_latency(float(data.get("seconds", 0)), data.get("paths", "*"))
            out = {}
        elif method_path == "POST inject":
            s.inject(**data)
            out = {}
        elif method_path == "POST clear-faults":
            s.clear_faults()
            out = {}
        elif self.command == "GET" and what.startswith("repos/"):
            _, owner, name = what.split("/", 2)
            out = repo_summary(s, owner, name)
        else:
            self._send_json(404, {"message": f"no control {method_path}"}, {})
            return
        self._send_json(200, out, {})

    def _record(self, path: str, status: int, is_api: bool) -> None:
        with self.standin._calls_lock:
            kind = "api" if is_api else "git"
            self.standin.calls.append(Call(self.command, path, status, kind, time.time(), self._arrived))

    def _reset(self) -> None:
        # SO_LINGER 0: close() sends RST, what a dropped connection looks like to the client.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        if fault.kind == "500":
            return ApiError(500, "Server Error")
        if fault.kind == "secondary_rate_limit":
            # docs.github.com/rest/overview/rate-limits-for-the-rest-api#exceeding-the-rate-limit:
            # 403 (or 429) with a retry-after header when a secondary rate limit is hit.
            err = ApiError(403, SECONDARY_RATE_LIMIT_MESSAGE)
            err.headers["Retry-After"] = str(fault.retry_after)
            return err
        if fault.kind == "422":
            # docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api: 422 Validation Failed
            return ApiError(422, "Validation Failed", errors=[{"resource": "Request", "code": "invalid"}])
        return ApiError(fault.status, "Injected failure")

    # ------------------------------------------------------------ REST

    def _token(self) -> TokenInfo | None:
        auth = self.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("token", "bearer"):
            return self.standin.state.tokens.get(value.strip())
        return None

    def _api(self, rel: str, query: str, body: bytes) -> None:
        s = self.standin
        headers: dict[str, str] = {}
        token = self._token()
        if token is not None and token.scopes is not None:
            # docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps: classic tokens list
            # their scopes in X-OAuth-Scopes on every response; fine-grained tokens send no such header.
            headers["X-OAuth-Scopes"] = ", ".join(token.scopes)
            headers["X-Accepted-OAuth-Scopes"] = "repo"
        try:
            if token is None:
                # docs.github.com/rest/authentication/authenticating-to-the-rest-api: 401 Bad credentials
                raise ApiError(401, "Bad credentials")
            data = json.loads(body) if body else {}
            for method, pattern, fn in ROUTES:
                m = pattern.match(rel)
                if m and method == self.command:
                    with s.state.lock:
                        status, payload = fn(s, token, *m.groups(), data=data, query=parse_qs(query))
                    break
            else:
                raise not_found()
        except ApiError as err:
            headers.update(err.headers)
            self._record(rel, err.status, True)
            self._send_json(err.status, err.body, headers)
            return
        except ValueError:
            self._record(rel, 400, True)
            self._send_json(400, {"message": "Problems parsing JSON", "documentation_url": DOCS}, headers)
            return
        self._record(rel, status, True)
        if status == 303:
            headers["Location"] = payload
            payload = None
        self._send_json(status, payload, headers)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        raw = b"" if payload is None or status == 204 else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        # docs.github.com/rest/overview/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit
        self.send_header("X-RateLimit-Limit", "5000")
        self.send_header("X-RateLimit-Remaining", "4999")
        self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
        self.send_header("X-RateLimit-Used", "1")
        self.send_header("X-RateLimit-Resource", "core")
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if raw and self.command != "HEAD":
            self.wfile.write(raw)

    # ------------------------------------------------------------ git smart HTTP

    def _git(self, path: str, query: str, body: bytes) -> None:
        s = self.standin
        m = re.match(r"^/([^/]+)/([^/]+?)\.git(/.*)$", path)
        repo = s.state.repo(m.group(1), m.group(2)) if m else None
        if repo is None:
            self._record(path, 404, False)
            self._send_plain(404, b"Repository not found.\n")
            return
        user = self._git_user(repo)
        if user is None:
            # GitHub asks for credentials with 401 and a Basic challenge; the password is the token.
            self._record(path, 401, False)
            self._send_plain(401, b"Authentication required\n", {"WWW-Authenticate": 'Basic realm="GitHub"'})
            return
        token = user
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(s.state.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo.owner.lower()}/{repo.name.lower()}.git{m.group(3)}",
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": token.login,
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "STANDIN_TOKEN_SCOPES": " ".join(token.scopes) if token.scopes is not None else "none",
        }
        proc = subprocess.run([GIT_HTTP_BACKEND], input=body, env=env, capture_output=True)
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = proc.stdout.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers[key.strip()] = value.strip()
        if path.endswith("/git-receive-pack") and status == 200:
            with s.state.lock:
                self._after_push(repo)
        self._record(path, status, False)
        self._send_plain(status, payload, headers)

    def _git_user(self, repo: Repository) -> TokenInfo | None:
        auth = self.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            _user, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        token = self.standin.state.tokens.get(password)
        if token is None or not _can_admin(self.standin, token, repo):
            return None
        return token

    @staticmethod
    def _after_push(repo: Repository) -> None:
        # An empty repository's default branch becomes a pushed branch when the configured one was not pushed.
        heads = repo.branches()
        if heads and repo.default_branch not in heads:
            repo.default_branch = sorted(heads)[0]
            subprocess.run(
                ["git", "symbolic-ref", "HEAD", f"refs/heads/{repo.default_branch}"], cwd=repo.path, check=True
            )

    def _send_plain(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "text/plain")
        for k, v in headers.items():
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


# ---------------------------------------------------------------- endpoint handlers
# Each takes (standin, token, *path groups, data=, query=) and returns (status, payload).


def _user_json(s: GitHubStandIn, login: str) -> dict:
    kind, account = s.state.account(login)
    ident = account["id"] if isinstance(account, dict) else account.id
    real = account["login"] if isinstance(account, dict) else account.login
    return {
        "login": real,
        "id": ident,
        "type": kind,
        "site_admin": False,
        "html_url": f"{s.base_url}/{real}",
        "url": f"{s.api_url}/users/{real}",
    }


def _can_admin(s: GitHubStandIn, token: TokenInfo, repo: Repository) -> bool:
    if repo.owner.lower() == token.login.lower():
        return True
    org = s.state.orgs.get(repo.owner.lower())
    return bool(org and token.login.lower() in {m.lower() for m in org.members})


def _repo_for(s: GitHubStandIn, token: TokenInfo, owner: str, name: str) -> Repository:
    repo = s.state.repo(owner, name)
    # docs.github.com/rest/repos/repos#get-a-repository: 404 also for a private repository you cannot see.
    if repo is None or (repo.private and not _can_admin(s, token, repo)):
        raise not_found()
    return repo


def _repo_json(s: GitHubStandIn, repo: Repository, token: TokenInfo) -> dict:
    admin = _can_admin(s, token, repo)
    size = 0 if not repo.branches() else 1
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": _user_json(s, repo.owner),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "description": repo.description,
        "html_url": f"{s.base_url}/{repo.full_name}",
        "url": f"{s.api_url}/repos/{repo.full_name}",
        "clone_url": s.clone_url(repo.owner, repo.name),
        "default_branch": repo.default_branch,
        "size": size,
        "created_at": repo.created_at,
        "updated_at": _now(),
        "pushed_at": None,
        "permissions": {"admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": True},
    }


@route("GET", "/user")
def get_authenticated_user(s, token, data, query):
    """docs.github.com/rest/users/users#get-the-authenticated-user"""
    out = _user_json(s, token.login)
    if s.exposed_plan is not None:
        out["plan"] = {"name": s.exposed_plan, "private_repos": 10000}
    return 200, out


@route("GET", "/users/" + SEG)
def get_user(s, token, login, data, query):
    """docs.github.com/rest/users/users#get-a-user (organisations answer here too, type "Organization")"""
    if s.state.account(login) is None:
        raise not_found()
    return 200, _user_json(s, login)


@route("GET", "/orgs/" + SEG)
def get_org(s, token, login, data, query):
    """docs.github.com/rest/orgs/orgs#get-an-organization"""
    org = s.state.orgs.get(login.lower())
    if org is None:
        raise not_found()
    out = {"login": org.login, "id": org.id, "type": "Organization", "url": f"{s.api_url}/orgs/{org.login}"}
    if token.login.lower() in {m.lower() for m in org.members}:  # member-only fields
        out.update(
            members_can_create_repositories=org.members_can_create_repositories,
            members_can_create_private_repositories=org.members_can_create_repositories,
            members_can_create_public_repositories=org.members_can_create_repositories,
            plan={"name": org.plan},
        )
    return 200, out


@route("GET", "/user/memberships/orgs/" + SEG)
def get_membership(s, token, login, data, query):
    """docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user
    (404 when the user is not a member)"""
    org = s.state.orgs.get(login.lower())
    members = {m.lower(): r for m, r in (org.members if org else {}).items()}
    if org is None or token.login.lower() not in members:
        raise not_found()
    return 200, {
        "state": "active",
        "role": members[token.login.lower()],
        "organization": {"login": org.login, "id": org.id},
        "user": _user_json(s, token.login),
    }


def _create_repo(s, token, owner: str, data: dict) -> tuple[int, dict]:
    name = data.get("name", "")
    if not re.match(r"^[A-Za-z0-9._-]{1,100}$", name or ""):
        raise ApiError(
            422,
            "Repository creation failed.",
            errors=[{"resource": "Repository", "code": "custom", "field": "name", "message": "name is invalid"}],
        )
    if s.state.repo(owner, name) is not None:
        raise ApiError(
            422,
            "Repository creation failed.",
            errors=[
                {
                    "resource": "Repository",
                    "code": "custom",
                    "field": "name",
                    "message": "name already exists on this account",
                }
            ],
        )
    kind, account = s.state.account(owner)
    repo = Repository(
        owner=account["login"] if kind == "User" else account.login,
        name=name,
        id=s.state.next_id(),
        private=bool(data.get("private", False)),
        description=data.get("description") or "",
        path=s.create_bare(owner, name),
        created_at=_now(),
    )
    s.state.repos[(owner.lower(), name.lower())] = repo
    return 201, _repo_json(s, repo, token)


@route("POST", "/user/repos")
def create_user_repo(s, token, data, query):
    """docs.github.com/rest/repos/repos#create-a-repository-for-the-authenticated-user
    (201; 422 "name already exists on this account")"""
    if token.scopes is not None and not ({"repo", "public_repo"} & set(token.scopes)):
        raise ApiError(404, "Not Found")
    return _create_repo(s, token, token.login, data)


@route("POST", "/orgs/" + SEG + "/repos")
def create_org_repo(s, token, org_login, data, query):
    """docs.github.com/rest/repos/repos#create-an-organization-repository (201; 403 when members may not)"""
    org = s.state.orgs.get(org_login.lower())
    if org is None:
        raise not_found()
    role = {m.lower(): r for m, r in org.members.items()}.get(token.login.lower())
    if role is None:
        raise not_found()
    if role != "admin" and not org.members_can_create_repositories:
        raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
    return _create_repo(s, token, org.login, data)


@route("GET", "/repos/" + SEG + "/" + SEG)
def get_repo(s, token, owner, name, data, query):
    """docs.github.com/rest/repos/repos#get-a-repository"""
    return 200, _repo_json(s, _repo_for(s, token, owner, name), token)


@route("PATCH", "/repos/" + SEG + "/" + SEG)
def update_repo(s, token, owner, name, data, query):
    """docs.github.com/rest/repos/repos#update-a-repository (422 when default_branch does not exist)"""
    repo = _repo_for(s, token, owner, name)
    if not _can_admin(s, token, repo):
        raise ApiError(403, "Must have admin rights to Repository.")
    if "default_branch" in data:
        if data["default_branch"] not in repo.branches():
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "Repository", "code": "invalid", "field": "default_branch"}],
            )
        repo.default_branch = data["default_branch"]
        subprocess.run(["git", "symbolic-ref", "HEAD", f"refs/heads/{repo.default_branch}"], cwd=repo.path, check=True)
    if "description" in data:
        repo.description = data["description"] or ""
    return 200, _repo_json(s, repo, token)


@route("GET", "/repos/" + SEG + "/" + SEG + "/branches")
def list_branches(s, token, owner, name, data, query):
    """docs.github.com/rest/branches/branches#list-branches"""
    repo = _repo_for(s, token, owner, name)
    return 200, [
        {"name": b, "commit": {"sha": sha}, "protected": b in repo.protection}
        for b, sha in sorted(repo.branches().items())
    ]


def _protection_target(s, token, owner, name, branch) -> Repository:
    repo = _repo_for(s, token, owner, name)
    if not _can_admin(s, token, repo):
        raise ApiError(403, "Must have admin rights to Repository.")
    if not s.protection_available(repo):
        raise ApiError(403, UPGRADE_MESSAGE)
    if branch not in repo.branches():
        raise ApiError(404, "Branch not found")
    return repo


@route("GET", "/repos/" + SEG + "/" + SEG + "/branches/" + SEG + "/protection")
def get_protection(s, token, owner, name, branch, data, query):
    """docs.github.com/rest/branches/branch-protection#get-branch-protection (404 "Branch not protected")"""
    repo = _protection_target(s, token, owner, name, branch)
    if branch not in repo.protection:
        raise ApiError(404, "Branch not protected")
    return 200, repo.protection[branch]


@route("PUT", "/repos/" + SEG + "/" + SEG + "/branches/" + SEG + "/protection")
def update_protection(s, token, owner, name, branch, data, query):
    """docs.github.com/rest/branches/branch-protection#update-branch-protection: the four keys are required
    (each may be null); 200 with the protection."""
    repo = _protection_target(s, token, owner, name, branch)
    missing = [
        k
        for k in ("required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions")
        if k not in data
    ]
    if missing:
        raise ApiError(422, "Invalid request.\n\n" + ", ".join(f'"{k}" wasn\'t supplied.' for k in missing))
    url = f"{s.api_url}/repos/{repo.full_name}/branches/{branch}/protection"
    out: dict[str, Any] = {
        "url": url,
        "enforce_admins": {"url": url + "/enforce_admins", "enabled": bool(data["enforce_admins"])},
    }
    reviews = data["required_pull_request_reviews"]
    if reviews is not None:
        out["required_pull_request_reviews"] = {
            "url": url + "/required_pull_request_reviews",
            "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews", False)),
            "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews", False)),
            "required_approving_review_count": int(reviews.get("required_approving_review_count", 0)),
        }
    if data["required_status_checks"] is not None:
        out["required_status_checks"] = dict(data["required_status_checks"], url=url + "/required_status_checks")
    repo.protection[branch] = out
    return 200, out


# -- environments: docs.github.com/rest/deployments/environments


def _env_json(s, repo: Repository, env: Environment) -> dict:
    return {
        "id": env.id,
        "node_id": f"EN_{env.id}",
        "name": env.name,
        "url": f"{s.api_url}/repos/{repo.full_name}/environments/{env.name}",
        "html_url": f"{s.base_url}/{repo.full_name}/deployments/activity_log?environments_filter={env.name}",
        "created_at": env.created_at,
        "updated_at": env.updated_at,
        "protection_rules": (
            [{"id": env.id + 1, "node_id": f"GA_{env.id}", "type": "branch_policy"}]
            if env.deployment_branch_policy
            else []
        ),
        "deployment_branch_policy": env.deployment_branch_policy,
    }


def _env_for(s, token, owner, name, env_name) -> tuple[Repository, Environment]:
    repo = _repo_for(s, token, owner, name)
    env = repo.environments.get(env_name.lower())
    if env is None or not s.environments_available(repo):
        raise not_found()
    return repo, env


@route("GET", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG)
def get_environment(s, token, owner, name, env_name, data, query):
    """docs.github.com/rest/deployments/environments#get-an-environment"""
    repo, env = _env_for(s, token, owner, name, env_name)
    return 200, _env_json(s, repo, env)


@route("PUT", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG)
def put_environment(s, token, owner, name, env_name, data, query):
    """docs.github.com/rest/deployments/environments#create-or-update-an-environment (200). Private
    repositories on GitHub Free have no environments: the API answers as configured
    (``free_environments_status``: 404 Not Found, 403, or 422 "Fail to create protected rule")."""
    repo = _repo_for(s, token, owner, name)
    if not _can_admin(s, token, repo):
        raise ApiError(403, "Must have admin rights to Repository.")
    if not s.environments_available(repo):
        status = s.free_environments_status
        message = {
            404: "Not Found",
            403: "Resource not accessible by integration",
            422: "Fail to create protected rule, please ensure billing plan include protected branch gate.",
        }
        raise ApiError(status, message.get(status, "Environments are not available"))
    policy = data.get("deployment_branch_policy")
    if policy is not None and bool(policy.get("protected_branches")) == bool(policy.get("custom_branch_policies")):
        raise ApiError(
            422,
            "Validation Failed",
            errors=[
                {
                    "resource": "Environment",
                    "code": "invalid",
                    "field": "deployment_branch_policy",
                    "message": "protected_branches and custom_branch_policies cannot have the same value",
                }
            ],
        )
    env = repo.environments.get(env_name.lower())
    if env is None:
        env = Environment(env_name, s.state.next_id(), _now(), _now())
        repo.environments[env_name.lower()] = env
    env.updated_at = _now()
    if "deployment_branch_policy" in data:
        env.deployment_branch_policy = policy
        if policy is None or not policy.get("custom_branch_policies"):
            env.branch_policies.clear()
    return 200, _env_json(s, repo, env)


@route("GET", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG + "/deployment-branch-policies")
def list_branch_policies(s, token, owner, name, env_name, data, query):
    """docs.github.com/rest/deployments/branch-policies#list-deployment-branch-policies"""
    repo, env = _env_for(s, token, owner, name, env_name)
    return 200, {"total_count": len(env.branch_policies), "branch_policies": env.branch_policies}


@route("POST", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG + "/deployment-branch-policies")
def create_branch_policy(s, token, owner, name, env_name, data, query):
    """docs.github.com/rest/deployments/branch-policies#create-a-deployment-branch-policy: 200 with the policy;
    303 when the same name pattern exists; 404 when the environment's custom_branch_policies is false."""
    repo, env = _env_for(s, token, owner, name, env_name)
    if not (env.deployment_branch_policy or {}).get("custom_branch_policies"):
        raise not_found()
    pattern, kind = data.get("name"), data.get("type", "branch")
    if not pattern or kind not in ("branch", "tag"):
        raise ApiError(422, "Validation Failed", errors=[{"resource": "DeploymentBranchPolicy", "code": "invalid"}])
    for policy in env.branch_policies:
        if policy["name"] == pattern and policy["type"] == kind:
            return (
                303,
                f"{s.api_url}/repos/{repo.full_name}/environments/{env.name}/deployment-branch-policies/{policy['id']}",
            )
    policy = {"id": s.state.next_id(), "node_id": f"DBP_{pattern}", "name": pattern, "type": kind}
    env.branch_policies.append(policy)
    return 200, policy


# -- secrets: docs.github.com/rest/actions/secrets

SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _put_secret(store: dict[str, Secret], keys: KeyPair, secret_name: str, data: dict) -> tuple[int, None]:
    if not SECRET_NAME.match(secret_name) or secret_name.upper().startswith("GITHUB_"):
        raise ApiError(
            422,
            "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or "
            "underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or "
            "underscores (_).",
        )
    if data.get("key_id") != keys.key_id:
        # Not spelled out in the docs; GitHub refuses a body it cannot use with 422 Validation Failed.
        raise ApiError(422, "Validation Failed", errors=[{"resource": "Secret", "code": "invalid", "field": "key_id"}])
    try:
        value = keys.decrypt(data.get("encrypted_value", ""))
    except Exception:
        raise ApiError(
            422, "Validation Failed", errors=[{"resource": "Secret", "code": "invalid", "field": "encrypted_value"}]
        ) from None
    name = secret_name.upper()  # secret names are not case-sensitive; GitHub stores them upper-case
    existing = store.get(name)
    if existing:
        existing.value, existing.updated_at = value, _now()
        return 204, None  # "Response when updating a secret"
    store[name] = Secret(name, value, _now(), _now())
    return 201, None  # "Response when creating a secret"


def _list_secrets(store: dict[str, Secret]) -> dict:
    return {"total_count": len(store), "secrets": [s.to_json() for s in sorted(store.values(), key=lambda x: x.name)]}


def _admin_repo(s, token, owner, name) -> Repository:
    repo = _repo_for(s, token, owner, name)
    if not _can_admin(s, token, repo):
        raise ApiError(403, "Resource not accessible by personal access token")
    return repo


@route("GET", "/repos/" + SEG + "/" + SEG + "/actions/secrets")
def list_repo_secrets(s, token, owner, name, data, query):
    """docs.github.com/rest/actions/secrets#list-repository-secrets"""
    return 200, _list_secrets(_admin_repo(s, token, owner, name).secrets)


@route("GET", "/repos/" + SEG + "/" + SEG + "/actions/secrets/public-key")
def get_repo_public_key(s, token, owner, name, data, query):
    """docs.github.com/rest/actions/secrets#get-a-repository-public-key"""
    token.require("secrets", "read")
    return 200, _admin_repo(s, token, owner, name).keys.public_json()


@route("PUT", "/repos/" + SEG + "/" + SEG + "/actions/secrets/" + SEG)
def put_repo_secret(s, token, owner, name, secret_name, data, query):
    """docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret (201 created, 204 updated)"""
    token.require("secrets", "write")
    repo = _admin_repo(s, token, owner, name)
    return _put_secret(repo.secrets, repo.keys, secret_name, data)


@route("GET", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG + "/secrets")
def list_env_secrets(s, token, owner, name, env_name, data, query):
    """docs.github.com/rest/actions/secrets#list-environment-secrets"""
    _admin_repo(s, token, owner, name)
    return 200, _list_secrets(_env_for(s, token, owner, name, env_name)[1].secrets)


@route("GET", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG + "/secrets/public-key")
def get_env_public_key(s, token, owner, name, env_name, data, query):
    """docs.github.com/rest/actions/secrets#get-an-environment-public-key"""
    token.require("environments", "read")
    _admin_repo(s, token, owner, name)
    return 200, _env_for(s, token, owner, name, env_name)[1].keys.public_json()


@route("PUT", "/repos/" + SEG + "/" + SEG + "/environments/" + SEG + "/secrets/" + SEG)
def put_env_secret(s, token, owner, name, env_name, secret_name, data, query):
    """docs.github.com/rest/actions/secrets#create-or-update-an-environment-secret (201 created, 204 updated)"""
    token.require("environments", "write")
    _admin_repo(s, token, owner, name)
    env = _env_for(s, token, owner, name, env_name)[1]
    return _put_secret(env.secrets, env.keys, secret_name, data)


def repo_summary(s: GitHubStandIn, owner: str, name: str) -> dict | None:
    """What a user would see on the repository's pages (secret values decrypted: this is a test double)."""
    r = s.state.repo(owner, name)
    if r is None:
        return None
    return {
        "private": r.private,
        "default_branch": r.default_branch,
        "branches": r.branches(),
        "environments": {
            e.name: {
                "policy": e.deployment_branch_policy,
                "patterns": sorted(p["name"] for p in e.branch_policies),
                "secrets": {n: x.value for n, x in e.secrets.items()},
            }
            for e in r.environments.values()
        },
        "repo_secrets": {n: x.value for n, x in r.secrets.items()},
        "protection": {
            b: p.get("required_pull_request_reviews", {}).get("required_approving_review_count")
            for b, p in r.protection.items()
        },
    }


class StandInProcess:
    """The stand-in in a process of its own, as GitHub is on another machine: a benchmark's client then
    shares no interpreter lock with the server. Controls go over HTTP (``/_standin/...``)."""

    def __init__(self, *, login: str = "octo", plan: str = "pro", latency: float = 0.0) -> None:
        self.args = ["--login", login, "--plan", plan, "--latency", str(latency)]
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}

    def start(self) -> "StandInProcess":
        import sys

        root = Path(__file__).resolve().parents[2]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.standins.github", *self.args], cwd=root, stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise RuntimeError("the GitHub stand-in did not start")
        self.info = json.loads(line)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def __enter__(self) -> "StandInProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    api_url = property(lambda self: self.info["api_url"])
    base_url = property(lambda self: self.info["base_url"])
    token = property(lambda self: self.info["token"])
    login = property(lambda self: self.info["login"])

    def control(self, method: str, what: str, body: dict | None = None) -> Any:
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + CONTROL_PREFIX + what, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def calls(self) -> list[dict]:
        return self.control("GET", "calls")

    def reset_calls(self) -> None:
        self.control("POST", "reset", {})

    def set_latency(self, seconds: float, paths: str = "*") -> None:
        self.control("POST", "latency", {"seconds": seconds, "paths": paths})

    def inject(self, fault: str, method: str = "*", path: str = "*", times: int = 1, **extra: Any) -> None:
        self.control("POST", "inject", {"fault": fault, "method": method, "path": path, "times": times, **extra})

    def repo(self, owner: str, name: str) -> dict | None:
        return self.control("GET", f"repos/{owner}/{name}")


def main() -> None:  # pragma: no cover - run by StandInProcess and by hand
    import argparse
    import signal

    parser = argparse.ArgumentParser(
        description="Run the GitHub stand-in until terminated; prints one JSON line "
        "(api_url, base_url, token, login) when ready."
    )
    parser.add_argument("--login", default="octo")
    parser.add_argument("--plan", default="pro")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with GitHubStandIn(login=args.login, plan=args.plan, latency=args.latency) as gh:
        print(
            json.dumps({"api_url": gh.api_url, "base_url": gh.base_url, "token": gh.token, "login": gh.login}),
            flush=True,
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
