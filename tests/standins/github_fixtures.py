"""pytest fixtures for the GitHub stand-in (registered in tests/conftest.py ``pytest_plugins``).

- ``github_standin``: a running stand-in (user ``octo``, a classic token with ``repo`` + ``workflow``,
  plan "pro"); ``.api_url`` for ``--github-url``, ``.token``, ``.state``, ``.inject(...)``, ``.calls``.
- ``github_standin_factory(**kwargs)``: more of them, e.g. ``plan="free"`` or ``scopes=("repo",)``.
- ``github_env``: environment variables for a CLI run against ``github_standin`` (``GITHUB_TOKEN``).
Each server binds 127.0.0.1 on a free port and is stopped when the test ends.
"""

from __future__ import annotations

import pytest

from tests.standins.github import GitHubStandIn


@pytest.fixture
def github_standin_factory(tmp_path_factory):
    started: list[GitHubStandIn] = []

    def make(**kwargs) -> GitHubStandIn:
        kwargs.setdefault("root", tmp_path_factory.mktemp("github-standin"))
        server = GitHubStandIn(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def github_standin(github_standin_factory) -> GitHubStandIn:
    return github_standin_factory()


@pytest.fixture
def github_env(github_standin) -> dict[str, str]:
    return {"GITHUB_TOKEN": github_standin.token}
