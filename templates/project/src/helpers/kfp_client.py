"""Connect to the branch's Kubeflow Pipelines API in its auth mode: none, token, dex or incluster.

- none:      standalone KFP, e.g. `kubectl port-forward svc/ml-pipeline-ui -n kubeflow 8080:80`.
- token:     a bearer token in KFP_TOKEN.
- dex:       full Kubeflow behind Istio + Dex (the OSS MLOps platform): log in with KFP_USERNAME and
             KFP_PASSWORD on the Dex form; the session cookie (authservice_session) authenticates.
- incluster: inside the cluster (a Kubeflow notebook server, a pod): the service-account token from
             KF_PIPELINES_SA_TOKEN_PATH or /var/run/secrets/kubeflow/pipelines/token.

Credentials come only from environment variables (GitHub secrets in CI) and never reach a log line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from src.helpers import limits
from src.helpers.config import BranchConfig
from src.helpers.report import AuthFailed, StepFailed

IN_CLUSTER_HOST = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"
SA_TOKEN_PATH = "/var/run/secrets/kubeflow/pipelines/token"
POD_NAMESPACE_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass
class Connection:
    """Where the KFP API is and how to authenticate to it; shared by the preflight and the SDK client."""

    host: str
    auth: str
    namespace: str = ""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    cookies: str = field(default="", repr=False)

    def session(self):
        import requests

        session = requests.Session()
        session.headers.update(self.headers)
        if self.cookies:
            session.headers["Cookie"] = self.cookies
        return session

    def client(self):
        """A kfp.Client with the same credentials (the SDK's own requests then carry them)."""
        import contextlib
        import io
        import warnings

        import kfp

        token = self.headers.get("Authorization", "").removeprefix("Bearer ") or None
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore", FutureWarning)
            client = kfp.Client(
                host=self.host,
                existing_token=token,
                cookies=self.cookies or None,
                namespace=self.namespace or "kubeflow",
            )
        _bound_requests(client, limits.seconds(limits.KFP))
        return client

    def ui_link(self, kind: str, identifier: str) -> str:
        """The KFP UI page of a run or experiment (the same form the kfp SDK prints)."""
        return f"{self.host}/#/{kind}/details/{identifier}"


def _bound_requests(client, seconds: float) -> None:
    """Give every KFP API request of ``client`` a time limit. kfp.Client passes none, so its HTTP layer
    (kfp_server_api on urllib3) would wait forever on a server that takes the connection and never answers.
    kfp_server_api's documented per-request ``_request_timeout`` (connect, read) becomes the default of this
    client's requests, and a request that timed out is not sent again (urllib3 retries reads of a GET three
    times by default: four times the wait), so a silent server fails the call after ``seconds``."""
    import kfp_server_api
    import urllib3

    api_client = client._run_api.api_client  # the one ApiClient all of this client's service APIs share
    config = client._existing_config
    config.retries = urllib3.Retry(total=3, read=0, redirect=3, raise_on_redirect=False)
    limit = (min(limits.CONNECT, seconds), seconds)

    class Bounded(kfp_server_api.rest.RESTClientObject):
        def request(self, *args, _request_timeout=None, **kwargs):
            return super().request(*args, _request_timeout=_request_timeout or limit, **kwargs)

    api_client.rest_client = Bounded(config)


def in_cluster(env: Mapping[str, str] | None = None) -> bool:
    """True inside a Kubernetes pod that carries a KFP service-account token (e.g. a Kubeflow notebook)."""
    env = os.environ if env is None else env
    return bool(env.get("KF_PIPELINES_SA_TOKEN_PATH")) or Path(SA_TOKEN_PATH).is_file()


def connect(
    config: BranchConfig, env: Mapping[str, str] | None = None, *, prefer_incluster: bool = False
) -> Connection:
    """Resolve the branch's host, namespace and credentials. ``prefer_incluster``: inside a Kubeflow
    notebook server, use its own service account whatever the branch's auth mode (no setting needed)."""
    env = os.environ if env is None else env
    auth = "incluster" if prefer_incluster and in_cluster(env) else config.kfp_auth
    host = config.kfp_host
    if auth == "incluster" and (not host or prefer_incluster and not env.get("KFP_HOST")):
        host = IN_CLUSTER_HOST
    if not host:
        raise StepFailed(
            f"no KFP host for the {config.branch} branch",
            f"set kfp.host in src/pipelines/{config.branch}/platform.yaml (or export KFP_HOST)",
        )
    namespace = config.kfp_namespace
    if auth == "incluster" and not namespace and Path(POD_NAMESPACE_PATH).is_file():
        namespace = Path(POD_NAMESPACE_PATH).read_text().strip()
    connection = Connection(host=host.rstrip("/"), auth=auth, namespace=namespace)
    if auth == "token":
        connection.headers["Authorization"] = f"Bearer {_secret(env, 'KFP_TOKEN', config.branch)}"
    elif auth == "dex":
        user = _secret(env, "KFP_USERNAME", config.branch)
        password = _secret(env, "KFP_PASSWORD", config.branch)
        connection.cookies = dex_login(connection.host, user, password)
    elif auth == "incluster":
        path = env.get("KF_PIPELINES_SA_TOKEN_PATH") or SA_TOKEN_PATH
        try:
            token = Path(path).read_text().strip()
        except OSError:
            raise AuthFailed(
                f"kfp.auth is incluster but there is no service-account token at {path}",
                "run inside a Kubeflow notebook server or pod, or choose another kfp.auth in platform.yaml",
            ) from None
        connection.headers["Authorization"] = f"Bearer {token}"
    return connection


def _secret(env: Mapping[str, str], name: str, branch: str) -> str:
    value = env.get(name, "")
    if not value:
        raise AuthFailed(
            f"{name} is not set",
            f"in CI, add the secret with `jupyter mlops secrets set {name} --env {branch}`; "
            f"locally, export {name} before running",
        )
    return value


def gateway_url(host: str) -> str:
    """Full Kubeflow serves KFP under <gateway>/pipeline; Dex and the login are at the gateway itself."""
    return re.sub(r"/pipeline/?$", "", host) or host


def dex_login(host: str, username: str, password: str) -> str:
    """Log in on the Dex form behind oidc-authservice and return the session cookies as a Cookie header.

    The flow of Kubeflow's Istio/Dex setup: the gateway redirects to Dex (/dex/auth, then the
    connector's /dex/auth/local/login form); posting login + password redirects back through the
    authservice callback, which sets ``authservice_session``.
    """
    import requests

    gateway = gateway_url(host)
    seconds = limits.seconds(limits.HTTP)
    with requests.Session() as session:
        try:
            page = session.get(gateway + "/", timeout=seconds)
            if not page.history:
                return ""  # not behind Dex: nothing to log in to
            login_url = page.url
            path = urlsplit(login_url).path
            if path.endswith("/auth"):  # Dex lists its connectors: take the static-password one
                login_url = login_url.replace(path, path + "/local", 1)
                path += "/local"
            if not re.search(r"/auth/[^/]+/login$", path):
                login_url = session.get(login_url, timeout=seconds).url
            done = session.post(login_url, data={"login": username, "password": password}, timeout=seconds)
        except requests.RequestException as exc:
            raise StepFailed(
                f"cannot reach the Kubeflow gateway {gateway}: {_reason(exc, seconds)}",
                port_forward_hint(host),
            ) from None
        cookies = {c.name: c.value for c in session.cookies}
        if not done.history or "authservice_session" not in cookies and "oauth2_proxy" not in str(cookies):
            raise AuthFailed(
                f"Dex at {gateway} rejected the login of {username!r}",
                "check KFP_USERNAME and KFP_PASSWORD (the Kubeflow user, e.g. user@example.com)",
            )
        return "; ".join(f"{name}={value}" for name, value in cookies.items())


def port_forward_hint(host: str) -> str:
    parts = urlsplit(host)
    if parts.hostname in ("localhost", "127.0.0.1"):
        port = parts.port or 80
        if parts.path.rstrip("/").endswith("/pipeline"):
            service = f"kubectl port-forward svc/istio-ingressgateway -n istio-system {port}:80"
        else:
            service = f"kubectl port-forward svc/ml-pipeline-ui -n kubeflow {port}:80"
        return (
            f"start the port-forward ({service}); in GitHub Actions a runner cannot reach localhost: "
            "use a self-hosted runner or a reachable kfp.host"
        )
    return "check kfp.host in the branch's platform.yaml and that the cluster is reachable from here"


def _reason(exc: Exception, seconds: float) -> str:
    import requests

    if isinstance(exc, requests.Timeout):
        return f"no answer within {seconds:g} s ({limits.HTTP[0]} gives it longer)"
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
