"""GitHub REST through PyGithub's ``Requester``: retries, one connection per thread, bounded concurrency.

Why the requester rather than PyGithub's object model: push needs exact control over which calls are
made (a second run must make no writes; a resumed run must skip what is done) and over concurrency.
PyGithub documents ``Github.requester`` for endpoints it does not wrap; it still gives us its auth,
its JSON handling and ``GithubRetry`` (5xx, connection errors, secondary rate limits honouring
Retry-After, primary rate limits until X-RateLimit-Reset).

PyGithub's connection object is not thread-safe (it keeps the request being built on the instance),
so each worker thread gets its own ``Github``; a semaphore bounds the calls in flight. PyGithub's
default pacing (0.25 s between requests, 1 s between writes) is turned off: independent calls run
concurrently with a small bound instead, and a secondary rate limit is retried after Retry-After.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar
from urllib.parse import urlsplit

from .. import timeouts
from ..errors import Conflict, Forbidden, InvalidInput, MlopsError, NotFound, RemoteFailure, Unauthenticated
from ..settings.validators import check_url
from ..vcs.remote import header_env

if TYPE_CHECKING:  # PyGithub is imported by the first request
    from github import Github

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_CONCURRENCY = 8
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before reporting a remote failure (the run can always be resumed)."""

    total: int = 5
    backoff_factor: float = 0.5
    secondary_rate_wait: float = 60.0  # GitHub: wait at least a minute when no Retry-After is given
    timeout: float = field(default_factory=lambda: timeouts.seconds("http"))  # each request, each retry


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    data: Any


def normalize_api_url(url: str | None) -> str:
    """``--github-url``: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise."""

    url = (url or DEFAULT_API_URL).strip().rstrip("/")
    hint = "use https://api.github.com or, for GitHub Enterprise, https://HOST/api/v3"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise InvalidInput(
            f"--github-url {url[:200]!r} is not a well-formed URL (check the host and port); {hint}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or check_url(url, optional=False):
        raise InvalidInput(f"--github-url {url[:200]!r} is not an http(s) URL; {hint}")
    if parts.username or parts.password:
        raise InvalidInput(
            f"--github-url: drop the user name or token from the URL (the token never goes in a URL); {hint}"
        )
    if parts.query or parts.fragment:
        raise InvalidInput(f"--github-url {url!r}: drop the query or fragment; e.g. https://HOST/api/v3")
    return url


DEFAULT_HOSTS = ("github.com",)


class ServerToken(str):
    """The Jupyter server's own GitHub token (GITHUB_TOKEN / GH_TOKEN of its environment), carrying the
    hosts the server's admin allows it to be sent to (``c.MlopsExtension.github_hosts``).

    A token a request brings is the requester's and goes where the request says; the server's token
    would otherwise go to any host a caller names in ``github_url``. ``GitHubClient`` refuses to send a
    ``ServerToken`` to an API outside its hosts.
    """

    hosts: tuple[str, ...]

    def __new__(cls, value: str, hosts: Iterable[str] = DEFAULT_HOSTS) -> ServerToken:
        token = super().__new__(cls, value)
        token.hosts = tuple(h.strip().lower() for h in hosts if h.strip())
        return token


def host_allowed(api_url: str, hosts: Iterable[str]) -> bool:
    """``api_url``'s host (with its port, when it has one) is one of ``hosts``; github.com allows api.github.com."""
    parts = urlsplit(api_url)
    allowed = {h.lower() for h in hosts}
    if "github.com" in allowed:
        allowed.add("api.github.com")
    return parts.netloc.lower() in allowed or (parts.port is None and (parts.hostname or "") in allowed)


def check_token_host(token: str | None, api_url: str) -> None:
    """InvalidInput when ``token`` is the server's own and ``api_url`` is not a host it may go to."""
    if isinstance(token, ServerToken) and token and not host_allowed(api_url, token.hosts):
        host = urlsplit(api_url).netloc
        raise InvalidInput(
            f"github_url: the server's own GitHub token is only sent to {', '.join(token.hosts) or 'no host'}, "
            f"not {host}. Send your own token in the request for {host}, or ask the server's admin to add it to "
            "c.MlopsExtension.github_hosts"
        )


def web_url(api_url: str) -> str:
    """The web address matching an API URL (for links and token pages)."""
    parts = urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    base = api_url[: -len("/api/v3")] if api_url.endswith("/api/v3") else f"{parts.scheme}://{parts.netloc}"
    return base.rstrip("/")


def api_url_for_web(web: str) -> str:
    """The inverse of ``web_url``: https://github.com → api.github.com, else HOST/api/v3 (Enterprise)."""
    parts = urlsplit(web)
    if parts.hostname in ("github.com", "www.github.com"):
        return DEFAULT_API_URL
    return f"{parts.scheme}://{parts.netloc}/api/v3"


def token_page(api_url: str) -> str:
    return f"{web_url(api_url)}/settings/tokens/new?scopes=repo,workflow&description=jupyter-mlops"


def is_rate_limit(status: int, data: Any) -> bool:
    message = str((data or {}).get("message", "")) if isinstance(data, dict) else ""
    return status in (403, 429) and "rate limit" in message.lower()


class GitHubClient:
    """A small REST client; ``request`` returns a ``Response`` for the statuses the caller accepts."""

    def __init__(
        self,
        token: str,
        api_url: str | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not token or not token.strip():
            raise Unauthenticated(
                "No GitHub token. Export GITHUB_TOKEN (or GH_TOKEN) with a token that has the repo and workflow "
                f"scopes, or paste it at the prompt; create one at {token_page(normalize_api_url(api_url))}"
            )
        if any(c.isspace() for c in token.strip()) or not token.strip().isascii():
            raise Unauthenticated("The GitHub token contains spaces or non-ASCII characters; paste it again")
        self.api_url = normalize_api_url(api_url)
        check_token_host(token, self.api_url)
        self._token = token.strip()
        self.web_url = web_url(self.api_url)
        self.retry = retry or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._idle: list = []
        self._idle_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.calls = 0

    def __repr__(self) -> str:  # never the token
        return f"GitHubClient({self.api_url!r})"

    # ------------------------------------------------------------ transport

    def _acquire(self) -> Github:
        """A ``Github`` for this call alone (its connection object is not thread-safe). Idle ones are
        reused, and with them their keep-alive connections; at most ``concurrency`` ever exist."""
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        from github import Auth, Github, GithubRetry

        _quiet_pygithub()

        retry = GithubRetry(
            total=self.retry.total,
            backoff_factor=self.retry.backoff_factor,
            secondary_rate_wait=self.retry.secondary_rate_wait,
            # PATCH and POST too: every write push makes is safe to repeat (see the operations).
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"}),
            raise_on_status=False,  # give back the last answer, so the error names GitHub's message
        )
        return Github(
            auth=Auth.Token(self._token),
            base_url=self.api_url,
            retry=retry,
            timeout=max(1, math.ceil(self.retry.timeout)),  # PyGithub takes whole seconds
            pool_size=1,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )

    def _release(self, gh: Github) -> None:
        with self._idle_lock:
            self._idle.append(gh)

    def request(
        self, verb: str, path: str, body: Any = None, *, accept: Iterable[int] = (200, 201, 204), what: str = ""
    ) -> Response:
        """One REST call. ``accept``: statuses handed back; others become the error taxonomy."""
        import requests
        from github import GithubException

        verb = verb.upper()
        with self._slots:
            with self._count_lock:
                self.calls += 1
            gh = self._acquire()
            try:
                status, headers, output = gh.requester.requestJson(verb, path, input=body)
            except GithubException as exc:  # GithubRetry raises for a 403 it will not retry
                status, headers, output = exc.status, dict(exc.headers or {}), exc.data
            except requests.exceptions.RequestException as exc:
                raise RemoteFailure(
                    f"Could not reach GitHub at {self.api_url} ({type(exc).__name__}) after "
                    f"{self.retry.total} retries{': ' + what if what else ''}. Check the network or --github-url, "
                    "then run the command again: it resumes where it stopped."
                ) from None
            finally:
                self._release(gh)
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        data = _decode(output)
        if status in tuple(accept):
            return Response(status, headers, data)
        raise self.error(verb, path, status, headers, data, what)

    def error(
        self, verb: str, path: str, status: int, headers: dict[str, str], data: Any, what: str = ""
    ) -> MlopsError:
        message = data.get("message", "") if isinstance(data, dict) else str(data or "")
        doing = what or f"{verb} {path}"
        if status == 401:
            return Unauthenticated(
                f"GitHub at {self.web_url} rejected the token ({message or 'Bad credentials'}). Create a token "
                f"with the repo and workflow scopes at {token_page(self.api_url)} and export it as GITHUB_TOKEN."
            )
        if is_rate_limit(status, data):
            return RemoteFailure(
                f"GitHub's rate limit stopped {doing} even after waiting ({message}). Wait a few minutes and run "
                "the command again: it resumes where it stopped."
            )
        if status == 403:
            needed = headers.get("x-accepted-github-permissions")
            hint = (
                (
                    f" The token needs the permission(s) {needed}: edit the token's permissions on "
                    f"{self.web_url}/settings/personal-access-tokens."
                )
                if needed
                else ""
            )
            return Forbidden(f"GitHub refused {doing}: {message or 'Forbidden'}.{hint}")
        if status == 404:
            return NotFound(
                f"GitHub answered 404 Not Found to {doing}. The resource does not exist, or the token "
                "cannot see it (a private repository needs the repo scope and access to it)."
            )
        if status in (409, 422):
            details = (
                [
                    e.get("message") or f"{e.get('field', '')} {e.get('code', '')}".strip()
                    for e in (data.get("errors") or [])
                    if isinstance(e, dict)
                ]
                if isinstance(data, dict)
                else []
            )
            return Conflict(f"GitHub refused {doing}: {message or status}", details=[d for d in details if d])
        return RemoteFailure(
            f"GitHub answered {status} {message or ''} to {doing} after {self.retry.total} retries. "
            "Run the command again: it resumes where it stopped."
        )

    # ------------------------------------------------------------ concurrency

    def parallel(self, tasks: Iterable[Callable[[], T]]) -> list[T]:
        """Run independent tasks at once (API calls stay bounded by the client's semaphore).

        Every task finishes before the first error is raised, so nothing runs on after a failure.
        """
        tasks = list(tasks)
        if len(tasks) <= 1:
            return [t() for t in tasks]
        with ThreadPoolExecutor(
            max_workers=min(len(tasks), self.concurrency * 2), thread_name_prefix="mlops-github"
        ) as pool:
            futures = [pool.submit(t) for t in tasks]
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return [f.result() for f in futures]

    # ------------------------------------------------------------ git over HTTPS

    def git_auth_env(self, git_url: str, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for one git command that authenticates to ``git_url``'s host with the token.

        The token travels as an HTTP header set through ``GIT_CONFIG_*`` variables of that git process:
        never in a URL, never in .git/config, never in a file. Credential helpers and askpass are off
        for the command, so nothing stores or prompts for it.
        """

        if urlsplit(git_url).netloc.lower() != urlsplit(self.web_url).netloc.lower():
            raise RemoteFailure(
                f"GitHub at {self.api_url} named a git URL on another host ({urlsplit(git_url).netloc}); the token "
                "is only sent to its own host. Check --github-url."
            )
        return header_env(git_url, "x-access-token", self._token, base)


def _quiet_pygithub() -> None:
    """PyGithub logs every retry at INFO to stderr from import on; our progress events already say what
    happens, so its default drops to WARNING (a level someone chose, e.g. DEBUG, is left alone)."""

    logger = logging.getLogger("github")
    if logger.level == logging.INFO:
        logger.setLevel(logging.WARNING)


def _decode(output: Any) -> Any:
    if output is None or output == "":
        return None
    if isinstance(output, (dict, list)):
        return output
    try:
        return json.loads(output)
    except (TypeError, ValueError):
        return {"message": str(output)[:300]}
