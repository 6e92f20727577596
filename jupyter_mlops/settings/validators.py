"""Validation rules for every setting: each check returns what is wrong and what to do, or None.

The same rules serve the CLI, the REST `validate` route and both wizards (through spec.py's table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

KUBEFLOW_USER_NAMESPACE = "kubeflow-user-example-com"

# Each returns an error message (what is wrong and what to do) or None.

_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_PYTHON = re.compile(r"^3\.(9|1[0-4])$")
_URL = re.compile(r"^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:\d{1,5})?(/[^\s]*)?$")
_S3 = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$")


def check_repo_name(value: str) -> str | None:
    """GitHub's repository name rules: letters, digits, '.', '-', '_'; at most 100; not '.'/'..'; no '.git'."""
    if not value:
        return "the name is empty: give the repository a name, e.g. wine-quality"
    if not _REPO_NAME.match(value):
        bad = sorted({c for c in value if not re.match(r"[A-Za-z0-9._-]", c)})
        if len(value) > 100:
            return f"{value[:20]!r}… is {len(value)} characters; GitHub allows at most 100"
        return (
            f"{value!r} has characters GitHub does not allow in a repository name ({' '.join(map(repr, bad))}); "
            "use letters, digits, '.', '-' and '_', e.g. wine-quality"
        )
    if value in (".", ".."):
        return f"{value!r} is reserved; choose another repository name"
    if value.lower().endswith(".git"):
        return f"{value!r} ends with '.git', which GitHub strips; drop the suffix"
    return None


def check_owner(value: str) -> str | None:
    if value == "":
        return None
    if not _OWNER.match(value):
        return (
            f"{value!r} is not a GitHub user or organisation name (letters, digits and single hyphens, "
            "at most 39, not starting or ending with '-'); leave it empty to push to a local remote"
        )
    return None


_BRANCH = re.compile(r"^[A-Za-z0-9._/-]+$")
BRANCH_MAX = 100


def check_branch_name(value: str) -> str | None:
    """An allow-list (letters, digits, '.', '_', '-', '/'), then git's own rules (git-check-ref-format(1)).

    A branch name reaches workflows (names, paths, ``run:`` lines, expressions), main.py, .dvc/config and
    shell commands: characters such as ``$ ( ) ; ' " { } | & ! % @`` or a backtick would be code there.
    """
    problems = []
    if not value:
        return "a branch name is empty"
    if len(value) > BRANCH_MAX:
        return f"{value[:20]!r}… is {len(value)} characters; a branch name has at most {BRANCH_MAX}"
    if not _BRANCH.match(value):
        bad = sorted({c for c in value if not re.match(r"[A-Za-z0-9._/-]", c)})
        return (
            f"{value!r} has characters a branch name may not hold here ({' '.join(map(repr, bad))}); "
            "use letters, digits, '.', '_', '-' and '/', e.g. development or feature/wine"
        )
    if value.startswith("-"):
        problems.append("starts with '-'")
    if value == "@":
        problems.append("is '@'")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        problems.append("has an empty path component")
    if ".." in value:
        problems.append("contains '..'")
    if "@{" in value:
        problems.append("contains '@{'")
    if value.endswith("."):
        problems.append("ends with '.'")
    if any(part.startswith(".") or part.endswith(".lock") for part in value.split("/")):
        problems.append("has a component starting with '.' or ending with '.lock'")
    if any(ord(c) < 0o40 or ord(c) == 0o177 or c in " ~^:?*[\\" for c in value):
        problems.append("contains a space, a control character or one of ~ ^ : ? * [ \\")
    if problems:
        return f"{value!r} is not a valid git branch name: it {', '.join(problems)}"
    return None


def check_url(value: str, *, optional: bool = True) -> str | None:
    if value == "" and optional:
        return None
    if not _URL.match(value):
        return f"{value!r} is not an http(s) URL; write it like https://kubeflow.example.org/pipeline"
    port = re.search(r":(\d{1,5})(/|$)", value.split("://", 1)[1])
    if port and not 0 < int(port.group(1)) < 65536:
        return f"{value!r} has port {port.group(1)}, outside 1–65535"
    return None


def check_data_uri(value: str) -> str | None:
    if value == "":
        return None
    if value.startswith(("http://", "https://")):
        return check_url(value, optional=False)
    if value.startswith("s3://"):
        if not _S3.match(value):
            return f"{value!r} is not an s3:// URI; write it like s3://bucket/path/data.csv"
        return None
    if "://" in value and not value.startswith("file://"):
        return f"{value!r} uses a scheme the preflight cannot read; use http(s)://, s3:// or a local path"
    if any(ord(c) < 0o40 for c in value):
        return "the data path contains control characters"
    return None


def check_namespace(value: str) -> str | None:
    if value == "" or _K8S_NAME.match(value):
        return None
    return (
        f"{value!r} is not a Kubernetes namespace (lower-case letters, digits and '-', at most 63), "
        f"e.g. {KUBEFLOW_USER_NAMESPACE}"
    )


def check_experiment(value: str) -> str | None:
    if not value.strip():
        return "the experiment name is empty; e.g. wine-quality-development"
    if len(value) > 128 or any(ord(c) < 0o40 for c in value):
        return f"{value[:30]!r} is not a usable experiment name (one line, at most 128 characters)"
    return None


# Characters no setting may hold: control characters, lone surrogates, Unicode line and paragraph
# separators (each a line break somewhere: YAML, Markdown, a terminal), and a byte-order mark.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


def check_text(value: str) -> str | None:
    """The rule every text setting obeys before its own: one line of printable text, and nothing a GitHub
    workflow would evaluate (``${{``), since settings are rendered into workflows, Python, TOML and INI."""
    if "\n" in value or "\r" in value:
        return "must be one line"
    if bad := _NOT_TEXT.search(value):
        code = f"U+{ord(bad.group()):04X}"
        return f"holds the character {code} (a control character or line break); give one line of text"
    if "${{" in value:
        return "holds '${{', which GitHub Actions would evaluate as an expression; remove it"
    return None


def check_one_line(limit: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if "\n" in value or "\r" in value:
            return "must be one line"
        if len(value) > limit:
            return f"is {len(value)} characters; at most {limit}"
        return None

    return check


def check_choice(choices: Iterable[str]) -> Callable[[str], str | None]:
    choices = tuple(choices)

    def check(value: str) -> str | None:
        if value not in choices:
            return f"{value!r} is not one of {', '.join(choices)}"
        return None

    return check


def check_python(value: str) -> str | None:
    if not _PYTHON.match(value):
        return f"{value!r} is not a supported Python version; use 3.9 to 3.14, e.g. 3.11"
    return None


# GitHub Actions schedules: POSIX cron, 5 fields, UTC; operators * , - / (docs: "events that trigger workflows").
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    ("day of week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
_CRON_HINT = "write 5 fields (minute hour day-of-month month day-of-week, in UTC), e.g. 0 3 * * 1"


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    if text.upper() in names:
        return names.index(text.upper()) + low
    return None


def _cron_field_problem(text: str, label: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and 1 <= int(step) <= high - low + 1):
            return f"{label} step {step!r} must be a number from 1 to {high - low + 1}"
        if base == "*":
            continue
        ends = base.split("-")
        if len(ends) > 2 or not all(ends):
            return f"{label} {part!r} is not a value, a range a-b, a list a,b or */n"
        values: list[int] = []
        for end in ends:
            value = _cron_value(end, low, names)
            if value is None:
                return f"{label} {end!r} is not a number" + (f" or a name ({names[0]}…)" if names else "")
            if not low <= value <= high:
                return f"{label} {value} is outside {low}–{high}"
            values.append(value)
        if len(values) == 2 and values[0] > values[1]:
            return f"{label} range {base!r} runs backwards"
    return None


def check_cron(value: str) -> str | None:
    """A GitHub Actions ``schedule`` cron expression; empty means no schedule."""
    if value == "":
        return None
    fields = value.split()
    if len(fields) != 5:
        return f"{value!r} has {len(fields)} field(s); {_CRON_HINT}"
    for text, (label, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if problem := _cron_field_problem(text, label, low, high, names):
            return f"{value!r}: {problem}; {_CRON_HINT}"
    return None


_REGISTRY = re.compile(
    r"^(?P<host>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::(?P<port>\d{1,5}))?"
    r"(?P<path>(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)$"
)


def check_registry(value: str) -> str | None:
    """A container registry: a host (with optional port and namespace path), as in image references."""
    if "://" in value:
        return f"{value!r}: give the registry without a scheme, e.g. ghcr.io or registry.example.org:5000/team"
    match = _REGISTRY.match(value)
    if not match or ("." not in match["host"] and match["host"] != "localhost" and not match["port"]):
        hint = "; image names are lower-case" if value != value.lower() else ""
        return (
            f"{value!r} is not a registry host{hint}; write it like ghcr.io, docker.io or "
            "registry.example.org:5000/team"
        )
    if match["port"] and not 0 < int(match["port"]) < 65536:
        return f"{value!r} has port {match['port']}, outside 1–65535"
    return None


def check_data_remote(value: str) -> str | None:
    """Where DVC keeps the data's versions for a branch: an s3:// bucket (MinIO/S3) or a local folder."""
    if "%(" in value:  # DVC reads .dvc/config with configobj, which would take %(name)s as a reference
        return f"{value!r} holds '%(', which DVC's config reads as a reference to another setting; rename the folder"
    if value.startswith("s3://"):
        return (
            None if _S3.match(value) else f"{value!r} is not an s3:// location; write it like s3://mlflow/dvc/project"
        )
    if value.startswith("/") and not any(ord(c) < 0o40 for c in value):
        return None
    return (
        f"{value!r} is not a DVC remote this project can use; give s3://bucket/prefix (MinIO/S3, with the branch's "
        "s3.endpoint) or an absolute local folder"
    )


# ---------------------------------------------------------------- values that reach git

# Transports this tool lets git use (gitcli sets GIT_ALLOW_PROTOCOL to the same list): no ext:: (runs a
# command), no fd:: (waits on a file descriptor forever), no other remote helper.
GIT_SCHEMES = ("http", "https", "ssh", "git", "file", "git+ssh", "ssh+git")
_TRANSPORT = re.compile(r"^(?P<name>[A-Za-z0-9+.-]+)::")
_SCP = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^/:]+|\[[^\]/]+\]):(?P<path>.*)$")
_GIT_URL_HINT = "give https://host/owner/repo.git, git@host:owner/repo.git or a path to a repository"


def check_git_url(value: str) -> str | None:
    """A git remote: a URL of an allowed transport, ``[user@]host:path`` (ssh) or a local path.

    Refused: anything git would read as an option (a leading '-'), the ``<transport>::<address>`` form
    (``ext::sh -c …`` runs a command, ``fd::17`` hangs), other schemes, hosts starting with '-', line
    breaks and control characters, and a password or token inside an http(s) URL.
    """
    if not value:
        return f"the URL is empty; {_GIT_URL_HINT}"
    if len(value) > 4096:
        return f"the URL is {len(value)} characters; at most 4096"
    if any(ord(c) < 0o40 or ord(c) == 0o177 for c in value):
        return f"{value[:40]!r} holds a line break or a control character; {_GIT_URL_HINT}"
    if value.startswith("-"):
        return f"{value!r} starts with '-', so git would read it as an option, not a URL; {_GIT_URL_HINT}"
    if transport := _TRANSPORT.match(value):
        return (
            f"{value!r} asks git for the {transport['name']!r} transport (<transport>::<address>), which can run "
            f"commands or wait forever; {_GIT_URL_HINT}"
        )
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in GIT_SCHEMES:
            return f"{value!r}: git URLs here use {', '.join(GIT_SCHEMES)}, not {scheme!r}; {_GIT_URL_HINT}"
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        except ValueError:
            return f"{value!r} is not a well-formed URL (check the host and the port); {_GIT_URL_HINT}"
        if scheme != "file" and not parts.hostname:
            return f"{value!r} has no host; {_GIT_URL_HINT}"
        if (parts.hostname or "").startswith("-") or (parts.username or "").startswith("-"):
            return f"{value!r}: a host or user name may not start with '-'; {_GIT_URL_HINT}"
        if parts.password:
            return (
                f"{redact_url(value)} contains a password or token; give the URL without it "
                "(git asks its credential helper, and push never stores credentials)"
            )
        return None
    scp = _SCP.match(value)
    if scp and "/" not in value.split(":", 1)[0]:
        if scp["host"].startswith("-") or (scp["user"] or "").startswith("-"):
            return f"{value!r}: a host or user name may not start with '-'; {_GIT_URL_HINT}"
    return None


def redact_url(url: str) -> str:
    """A URL safe to print: user info (which may hold a password or token) removed."""

    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            netloc = parts.hostname or ""
            if parts.port:
                netloc += f":{parts.port}"
            return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return "<a malformed URL>"
    return url
