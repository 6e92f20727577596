"""Bad input, table-driven, on every face: the CLI, the magics and the REST API.

Each row is a mistake a user (or an attacker with a Jupyter token) can make. Each must end in a message
that names the fix, the face's usage-error outcome (exit 2 / a 4xx / IPython's UsageError), no
traceback, and nothing written: the sandbox (projects, their git repositories, bare remotes, a folder
behind a link) is byte-for-byte what it was.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.server_support import server_config

# ---------------------------------------------------------------- the sandbox every case runs in


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """Projects and remotes the cases aim at, made once per module (copied for each case)."""
    base = tmp_path_factory.mktemp("bad-input")
    home = base / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Test User\n\temail = test@example.org\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.delenv("GITHUB_TOKEN", raising=False)
        mp.delenv("GH_TOKEN", raising=False)
        root = base / "sandbox"
        root.mkdir()
        assert run_cli("init", str(root / "wine"), "--yes").returncode == 0
        git(root, "init", "-q", "--bare", "remote/wine.git")
        assert run_cli("push", str(root / "wine"), "--remote", "../remote/wine.git", "--yes").returncode == 0
        assert run_cli("init", str(root / "main"), "--main", "--yes").returncode == 0
        git(root, "init", "-q", "--bare", "-b", "development", "remotes/acme-main.git")
        assert run_cli("push", str(root / "main"), "--remote", "../remotes/acme-main.git", "--yes").returncode == 0
        (root / "plain").mkdir()
        (root / "plain" / "README.md").write_text("my own notes\n")
        (root / "plain" / "file.txt").write_text("a file\n")
        (root / "outside").mkdir()
        (root / "linkout").mkdir()
        os.symlink("../outside", root / "linkout" / "src")
        (root / "bad.toml").write_text("name = [unclosed\n")
        (root / "bad.json").write_text("{not json")
        (root / "bad.env").write_text("NO_EQUALS_SIGN\n")
        (root / "ok.env").write_text("KFP_TOKEN=tok-value-123\n")
    return root


@pytest.fixture
def sandbox(template, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "sandbox"
    shutil.copytree(template, root, symlinks=True)
    monkeypatch.chdir(root)
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))  # the embedded default's remotes
    return root


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file (and link) under ``root``, git's stat cache (index) aside: what 'nothing written' means."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file() and path.name != "index":
            out[rel] = path.read_bytes()
        elif path.is_dir():
            out[rel] = "dir"
    return out


# ---------------------------------------------------------------- the CLI and the magics: one table

# (command line, the words of the fix the message must contain). Run in the sandbox; `wine` is a project
# with an origin, `main` a main config repo, `plain` someone's folder, `linkout/src` a link out of it.
LINES = [
    # init: settings
    ("init new1 --set python=2.7", "use 3.9 to 3.14"),
    ("init new1 --set python=", "use 3.9 to 3.14"),
    ("init new1 --set staging.kfp.auth=magic", "is not one of none, token, dex, incluster"),
    ("init new1 --set nonsense", "write it as key=value"),
    ("init new1 --set nope.key=1", "the settings are"),
    ("init new1 --set qa.kfp.host=http://x", "the branches are development"),
    ("init new1 --set branches=dev$(id)", "use letters, digits, '.', '_', '-' and '/'"),
    ("init new1 --set branches=dev`id`", "use letters, digits, '.', '_', '-' and '/'"),
    ("init new1 --set branches=a;b", "use letters, digits, '.', '_', '-' and '/'"),
    ("init new1 --set 'branches=x${{github.token}}'", "use letters, digits, '.', '_', '-' and '/'"),
    ("init new1 --set 'branches=a,a'", "branch names repeat"),
    ("init new1 --set 'branches=dev-a,dev_a'", "would share the secret prefix DEV_A_"),
    ("init new1 --set 'branches=dev,Dev'", "GitHub ignores case): rename one"),
    ("init new1 --set branches=", "give at least one branch"),
    ("init new1 --set branches=,,", "give at least one branch"),
    ("init new1 --set branches=a..b", "contains '..'"),
    ("init new1 --set branches=a.lock", "ending with '.lock'"),
    ("init new1 --set branches=-x", "starts with '-'"),
    ("init new1 --set branches=a/", "empty path component"),
    ("init new1 --set branches=" + "b" * 101, "at most 100"),
    ("init new1 --set 'name=bad name'", "use letters, digits, '.', '-' and '_'"),
    ("init new1 --name " + "n" * 101, "GitHub allows at most 100"),
    ("init new1 --name wine.git", "drop the suffix"),
    ("init new1 --name ..", "choose another repository name"),
    ("init new1 --set owner=-bad-", "leave it empty to push to a local remote"),
    ("init new1 --set owner=a_b", "leave it empty to push to a local remote"),
    ("init new1 --set license=GPL", "is not one of placeholder, MIT"),
    ("init new1 --set example=maybe", "is not true or false"),
    ("init new1 --set development.kfp.host=ftp://kfp", "write it like https://"),
    ("init new1 --set development.kfp.host=http://kfp:99999", "outside 1–65535"),
    ("init new1 --set 'development.kfp.host=http://kfp/a b'", "write it like https://"),
    ("init new1 --set development.kfp.namespace=Bad_NS", "e.g. kubeflow-user-example-com"),
    ("init new1 --set development.kfp.experiment=", "e.g. wine-quality-development"),
    ("init new1 --set development.kfp.experiment=" + "e" * 129, "at most 128 characters"),
    ("init new1 --set development.mlflow.uri=mlflow", "write it like https://"),
    ("init new1 --set development.s3.endpoint=s3://x", "write it like https://"),
    ("init new1 --set development.data.uri=ftp://h/x.csv", "use http(s)://, s3:// or a local path"),
    ("init new1 --set development.data.uri=s3://B/x.csv", "write it like s3://bucket/path"),
    ("init new1 --set 'development.data.uri=data/${{ github.token }}.csv'", "remove it"),
    ("init new1 --set 'description=see ${{ secrets.KFP_TOKEN }}'", "remove it"),
    ("init new1 --set description=" + "d" * 351, "at most 350"),
    ("init new1 --set 'development.schedule=61 * * * *'", "e.g. 0 3 * * 1"),
    ("init new1 --set 'development.schedule=* * *'", "write 5 fields"),
    ("init new1 --set 'development.schedule=0 3 * * 9'", "e.g. 0 3 * * 1"),
    ("init new1 --set 'development.schedule=5-1 * * * *'", "runs backwards"),
    ("init new1 --set registry=https://ghcr.io", "give the registry without a scheme"),
    ("init new1 --set registry=Not_A_Host", "write it like ghcr.io"),
    ("init new1 --set data.dvc=true --set development.data.remote=relative/dir", "give s3://bucket/prefix"),
    ("init new1 --set data.dvc=true --set 'development.data.remote=/x/%(home)s'", "rename the folder"),
    ("init new1 --set compare=true --set example=false", "set example=true, or compare=false"),
    # init: files and folders
    ("init new1 --config missing.toml", "check the path"),
    ("init new1 --config bad.toml", "fix the file or give another"),
    ("init new1 --config bad.json", "fix the file or give another"),
    ("init plain/file.txt", "give a folder for the new project"),
    ("init plain", "Move them away or choose another folder"),
    ("init wine/.git/inside", "give the project's folder instead"),
    ("init linkout", "remove or replace the link"),
    # push
    ("push wine --remote=--upload-pack=touch%20PWNED", "git@host:owner/repo.git"),
    ("push wine --remote=--exec=id", "git@host:owner/repo.git"),
    ("push wine '--remote=ext::sh -c id'", "git@host:owner/repo.git"),
    ("push wine --remote=fd::17", "git@host:owner/repo.git"),
    ("push wine --remote=", "git@host:owner/repo.git"),
    ("push wine --remote=https://user:tok@example.org/x.git", "give the URL without it"),
    ("push wine --remote=ftp://example.org/x.git", "git@host:owner/repo.git"),
    ("push wine --remote=ssh://-oProxyCommand=id/x", "git@host:owner/repo.git"),
    ("push wine --owner=-bad-", "leave it empty to push to a local remote"),
    ("push wine --owner octo --remote ../remote/wine.git", "not both"),
    ("push plain", "Run `jupyter mlops init` there first"),
    ("push nowhere", "give the project folder"),
    ("push wine --secrets-file missing.env", "missing.env"),
    ("push wine --secrets-file bad.env", "NAME=value"),
    ("push wine --owner octo", "Export GITHUB_TOKEN"),
    # sync
    ("sync plain", "run sync in a project"),
    ("sync wine", "git remote add upstream"),
    ("sync wine --all", "run `sync --all` in the main repo's folder"),
    ("sync main", "Use `sync --all` here"),
    ("sync nowhere", "run sync in a project"),
    # new
    ("new 'bad name' --from remotes/acme-main.git", "use letters, digits, '.', '-' and '_'"),
    ("new proj --from ''", "give the main config repo as OWNER/NAME"),
    ("new proj --from /nonexistent", "give the main repo's path, git URL or OWNER/NAME"),
    ("new proj --from=--upload-pack=id", "git@host:owner/repo.git"),
    ("new proj '--from=ext::sh -c id'", "git@host:owner/repo.git"),
    ("new proj --from remotes/acme-main.git --remote=--exec=id", "git@host:owner/repo.git"),
    ("new proj --from remotes/acme-main.git --remote=", "git@host:owner/repo.git"),
    ("new proj --from remotes/acme-main.git --owner=-bad-", "leave it empty to push to a local remote"),
    ("new proj --from remotes/acme-main.git --set python=3.12", "Change them in the main repo"),
    ("new proj --from remote/wine.git", "jupyter mlops init --main"),
    ("new wine --from remotes/acme-main.git", "Choose another folder (--dir) or move it away"),
    ("new proj --from acme/acme-main", "Export GITHUB_TOKEN"),
    # check, run, status
    ("check plain", "give the project's folder"),
    ("check wine --branch main", "the project's branches are development, staging, production"),
    ("run wine --branch nope", "the project's branches are development, staging, production"),
    ("run wine --local --wait", "for runs on Kubeflow"),
    ("run wine --wait --timeout nan", "give a number of seconds above 0"),
    ("run wine --wait --timeout inf", "give a number of seconds above 0"),
    ("run wine --wait --timeout 0", "give a number of seconds above 0"),
    ("run wine --wait --timeout -5", "give a number of seconds above 0"),
    ("run wine --wait --timeout 1e9", "at most 86400 seconds"),
    ("status plain", "jupyter mlops init"),
    # secrets
    ("secrets set 1BAD wine", "start with a letter or '_'"),
    ("secrets set GITHUB_TOKEN wine", "GITHUB_"),
    ("secrets import missing.env wine", "missing.env"),
    ("secrets import bad.env wine", "NAME=value"),
    ("secrets list plain", "jupyter mlops init"),
    # promote
    ("promote nope staging wine", "development"),
    # argparse
    ("inti wine", "invalid choice: 'inti'"),
    ("", "the following arguments are required"),
    ("push --owner", "expected one argument"),
    ("init new1 --frobnicate", "unrecognized arguments"),
    ("run wine --timeout abc", "invalid float value"),
    ("schema --branches a,a", "branch names repeat"),
]
# Lines that read standard input (a secret's value) run on the CLI only; so do lines holding '{…}', which
# IPython expands in a magic's line before the magic sees it (its documented variable expansion).
STDIN_ONLY = {"secrets set 1BAD wine", "secrets set GITHUB_TOKEN wine"}
CLI_ONLY = STDIN_ONLY | {line for line, _ in LINES if "{" in line}


def run_cli_in_process(line: str, capsys, monkeypatch) -> tuple[int, str]:
    import shlex

    from jupyter_mlops.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("a-secret-value\n" if line in STDIN_ONLY else ""))
    try:
        code = main(shlex.split(line))
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.err + captured.out


@pytest.mark.parametrize("line, words", LINES, ids=[line or "(empty)" for line, _ in LINES])
def test_cli_mistakes_exit_2_with_the_fix_and_write_nothing(sandbox, capsys, monkeypatch, line, words):
    before = snapshot(sandbox)
    code, text = run_cli_in_process(line, capsys, monkeypatch)
    assert code == 2, text
    assert words in text, text
    assert "Traceback" not in text
    assert snapshot(sandbox) == before
    assert not (sandbox / "outside").exists() or list((sandbox / "outside").iterdir()) == []


@pytest.mark.parametrize(
    "line, words",
    [c for c in LINES if c[0] not in CLI_ONLY],
    ids=[c[0] or "(empty)" for c in LINES if c[0] not in CLI_ONLY],
)
def test_magic_mistakes_are_usage_errors_with_the_fix_and_write_nothing(sandbox, monkeypatch, line, words):
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    before = snapshot(sandbox)
    try:
        with pytest.raises(UsageError) as refused:
            shell.run_line_magic("mlops", line)
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
    assert words in str(refused.value)
    assert snapshot(sandbox) == before


def test_a_few_mistakes_in_a_real_process_show_one_line_and_no_traceback(sandbox):
    for line, words in LINES[::15]:
        import shlex

        proc = run_cli(*shlex.split(line), cwd=sandbox, input="")
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, line


# ---------------------------------------------------------------- REST


@pytest.fixture
def jp_server_config():
    return server_config()


DEEP = "[" * 5000 + "]" * 5000
REQUESTS = [
    # (method, route, body or query, status, words)
    ("POST", "validate", b"{not json", 400, "send a JSON object"),
    ("POST", "validate", DEEP, 400, "send a flat JSON object"),
    ("POST", "validate", '{"settings": {"name": NaN}}', 400, "send a finite number"),
    ("POST", "validate", [1, 2], 400, "body: expected object"),
    ("POST", "validate", {"settings": {"name": 3}}, 400, "expected string or boolean"),
    ("POST", "validate", {"settings": {}, "extra": 1}, 400, "see the API document for the fields"),
    ("POST", "validate", {"settings": {f"k{i}": "v" for i in range(501)}}, 400, "more than 500 entries"),
    ("POST", "plan", {"path": "../escape"}, 400, "give a folder inside the Jupyter root"),
    ("POST", "plan", {"path": "/etc"}, 400, "give it relative to the Jupyter root"),
    ("POST", "plan", {"path": "a\x00b"}, 400, "give a folder relative to the Jupyter root"),
    ("POST", "plan", {"path": "x" * 300}, 400, "give a shorter folder name"),
    ("POST", "plan", {"path": "wine/.git"}, 400, "give the project's folder"),
    ("POST", "plan", {"path": "new1", "settings": {"python": "2.7"}}, 400, "use 3.9 to 3.14"),
    ("POST", "plan", {"path": "new1", "settings": {"branches": "dev$(id)"}}, 400, "use letters, digits"),
    ("POST", "plan", {"path": "new1", "settings": {"branches": "x${{github.token}}"}}, 400, "use letters, digits"),
    ("POST", "plan", {"path": "new1", "settings": {"description": "${{ github.token }}"}}, 400, "remove it"),
    ("POST", "plan", {"path": "new1", "settings": {"description": "a\u2028b"}}, 400, "give one line of text"),
    ("POST", "plan", {"path": "new1", "name": "n" * 201}, 400, "at most 200 characters"),
    ("POST", "plan", {"path": "new1", "main": "yes"}, 400, "main: expected boolean"),
    ("POST", "plan", {"path": "linkout"}, 409, "remove or replace the link"),
    ("POST", "plan", {"path": "plain"}, 409, "Move them away or choose another folder"),
    ("POST", "init", {"path": "../escape"}, 400, "give a folder inside the Jupyter root"),
    ("POST", "init", {"path": "wine/.git/hooks"}, 400, "give the project's folder"),
    ("POST", "init", {"path": "new1", "settings": {"staging.kfp.auth": "magic"}}, 400, "is not one of none"),
    ("POST", "init", {"path": "linkout"}, 409, "remove or replace the link"),
    ("POST", "init", {"path": "plain"}, 409, "Move them away or choose another folder"),
    ("POST", "push", {"path": "wine", "remote": "--upload-pack=id"}, 400, "git@host:owner/repo.git"),
    ("POST", "push", {"path": "wine", "remote": "ext::sh -c id"}, 400, "git@host:owner/repo.git"),
    ("POST", "push", {"path": "wine", "remote": "fd::17"}, 400, "git@host:owner/repo.git"),
    ("POST", "push", {"path": "wine", "remote": ""}, 400, "git@host:owner/repo.git"),
    ("POST", "push", {"path": "wine", "remote": "https://u:t@h/x.git"}, 400, "give the URL without it"),
    ("POST", "push", {"path": "wine", "owner": "-bad-"}, 400, "leave it empty to push to a local remote"),
    ("POST", "push", {"path": "wine", "owner": "octo", "remote": "/x.git"}, 400, "not both"),
    ("POST", "push", {"path": "wine", "secrets": {"nightly": {"A": "v"}}}, 400, "the branches are development"),
    ("POST", "push", {"path": "wine", "token": 5}, 400, "token: expected string"),
    ("POST", "push", {"path": "wine", "private": "yes"}, 400, "private: expected boolean"),
    ("POST", "push", {"path": "nowhere"}, 404, "create one with init first"),
    ("POST", "push", {"path": "wine", "github_url": "http://[::1/api/v3", "token": "t"}, 400, "https://HOST/api/v3"),
    (
        "POST",
        "push",
        {"path": "wine", "github_url": "https://h:70000/api/v3", "token": "t"},
        400,
        "https://HOST/api/v3",
    ),
    ("POST", "push", {"path": "wine", "github_url": "ftp://h/api/v3", "token": "t"}, 400, "https://HOST/api/v3"),
    ("POST", "secrets", {"path": "wine", "secrets": {"1BAD": "x"}}, 400, "start with a letter or '_'"),
    ("POST", "secrets", {"path": "wine", "secrets": {}}, 400, "needs at least 1 entries"),
    ("POST", "secrets", {"path": "wine", "secrets": {f"S{i}": "x" for i in range(101)}}, 400, "more than 100"),
    ("POST", "secrets", {"path": "wine", "secrets": {"A": "x"}, "env": "e" * 256}, 400, "at most 255"),
    ("POST", "secrets", {"secrets": {"A": "x"}}, 400, "'path' is a required property"),
    ("POST", "secrets", {"path": "wine", "secrets": {"A": "x"}, "github_url": "http://[::1"}, 400, "https://HOST"),
    ("POST", "secrets", {"path": "plain", "secrets": {"A": "x"}}, 404, "create one with init first"),
    ("GET", "secrets", {}, 400, "e.g. ?path=projects/wine-quality"),
    ("GET", "secrets", {"path": "wine", "env": "e" * 256}, 400, "at most 255"),
    ("GET", "secrets", {"path": "wine", "github_url": "https://h:0x/api/v3"}, 400, "https://HOST/api/v3"),
    ("GET", "status", {}, 400, "e.g. ?path=projects/wine-quality"),
    ("GET", "status", {"path": "../up"}, 400, "give a folder inside the Jupyter root"),
    ("GET", "status", {"path": "plain"}, 404, "create one with init first"),
    ("GET", "status", {"path": "p" * 5000}, 400, "at most 4096"),
    ("POST", "check", {"path": "wine", "credentials": {"BASH_ENV": "/tmp/x"}}, 400, "send only these"),
    ("POST", "check", {"path": "wine", "credentials": {"LD_PRELOAD": "/tmp/x"}}, 400, "send only these"),
    ("POST", "check", {"path": "wine", "credentials": {"kfp token": "x"}}, 400, "use upper-case letters"),
    ("POST", "check", {"path": "wine", "credentials": {"KFP_TOKEN": "x" * 70000}}, 400, "at most 65536"),
    ("POST", "check", {"path": "wine", "branch": "main"}, 400, "the project's branches are development"),
    ("POST", "check", {"path": "plain"}, 404, "give the project's folder"),
    ("POST", "run", {"path": "wine", "local": True, "wait": True}, 400, "for runs on Kubeflow"),
    ("POST", "run", {"path": "wine", "timeout": 0}, 400, "must be above 0"),
    ("POST", "run", {"path": "wine", "timeout": 100000}, 400, "must be at most 86400"),
    ("POST", "run", '{"path": "wine", "wait": true, "timeout": Infinity}', 400, "send a finite number"),
    ("POST", "run", '{"path": "wine", "wait": true, "timeout": 1e999}', 400, "send a finite number"),
    ("POST", "sync", {"path": "wine"}, 400, "git remote add upstream"),
    ("POST", "sync", {"path": "wine", "all": True}, 400, "run `sync --all` in the main repo's folder"),
    ("POST", "sync", {"path": "main"}, 400, "Use `sync --all` here"),
    ("POST", "sync", {"path": "plain"}, 404, "create one with init first"),
    ("POST", "sync", {"path": "wine", "github_url": "http://[::1/api/v3", "token": "t"}, 400, "https://HOST/api/v3"),
    ("GET", "jobs/0123456789abcdef0123456789abcdef", {}, 404, "start the operation again"),
    ("GET", "jobs/0123456789abcdef0123456789abcdef", {"since": "-1"}, 400, "e.g. since=0"),
    ("GET", "jobs/0123456789abcdef0123456789abcdef", {"since": "9" * 5000}, 400, "e.g. since=0"),
    ("DELETE", "jobs/0123456789abcdef0123456789abcdef", None, 404, "start the operation again"),
    ("GET", "schema", {"branches": "a,a"}, 400, "branch names repeat"),
    ("GET", "schema", {"branches": "b" * 1001}, 400, "at most 1000 characters"),
    ("GET", "defaults", {"branches": "dev$(id)"}, 400, "use letters, digits"),
    ("GET", "defaults", {"name": "bad name"}, 400, "use letters, digits"),
    ("GET", "defaults", {"name": "n" * 201}, 400, "at most 200 characters"),
    ("GET", "defaults", {"path": "../x"}, 400, "give a folder inside the Jupyter root"),
]


@pytest.mark.parametrize(
    "method, route, body, status, words", REQUESTS, ids=[f"{m} {r} {i}" for i, (m, r, *_rest) in enumerate(REQUESTS)]
)
async def test_rest_mistakes_are_4xx_with_the_fix_and_write_nothing(api, template, method, route, body, status, words):
    for name in ("wine", "main", "plain", "linkout", "outside"):
        shutil.copytree(template / name, api.root / name, symlinks=True)
    before = snapshot(api.root)
    if method == "GET":
        code, answer = await api.call("GET", route, params=body or None)
    else:
        code, answer = await api.call(method, route, body)
    assert code == status, answer
    text = answer["message"] + " " + " ".join(answer.get("details", []))
    assert words in text, text
    assert answer["reason"] != "internal_error"
    assert snapshot(api.root) == before


def test_the_tables_cover_at_least_150_cases():
    cli = len(LINES)
    magics = len([c for c in LINES if c[0] not in CLI_ONLY])
    assert cli + magics + len(REQUESTS) >= 150
    assert len(REQUESTS) >= 50 and cli >= 50
