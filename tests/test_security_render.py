"""Security: no setting becomes code in the generated repository.

Property-based (hypothesis): for any value the validators accept, the rendered workflows parse as YAML
and pass actionlint, every Python file compiles, .dvc/config parses as DVC reads it (configobj), the
TOML files parse and mlops.toml round-trips — and each value read back is exactly the value given.
Then the reproduced findings of issue 13: the branch names that were code in workflows and main.py.
Bounded (max_examples, no deadline, no example database) so the suite stays fast.
"""

from __future__ import annotations

import ast
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jupyter_mlops._toml import tomllib
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.scaffold.template import render
from jupyter_mlops.settings.spec import ProjectSpec, check_branch_name, dumps, loads

BOUNDED = settings(
    max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

branch_names = st.from_regex(r"[A-Za-z0-9._/-]{1,24}", fullmatch=True).filter(lambda b: not check_branch_name(b))
# Any text: the validators decide; what they accept must render safely.
free_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=60)


@st.composite
def specs(draw) -> tuple[ProjectSpec, dict[str, object]]:
    """A spec with hostile-looking but accepted values, and the values that were set."""
    branches = draw(st.lists(branch_names, min_size=1, max_size=3, unique=True))
    spec = ProjectSpec.default("wine")
    wanted: dict[str, object] = {"branches": branches}
    candidates = {
        "description": draw(free_text),
        "data.dvc": True,
        "containers": draw(st.booleans()),
        f"{branches[0]}.kfp.experiment": draw(free_text),
        f"{branches[0]}.data.uri": draw(free_text),
        f"{branches[0]}.data.remote": "/" + draw(free_text),
        f"{branches[-1]}.schedule": draw(st.sampled_from(["", "0 3 * * 1", "*/15 0-6 1,15 JAN-MAR MON-FRI"])),
    }
    spec.set("branches", ",".join(branches))
    for key, value in candidates.items():
        try:
            spec.set(key, value)
        except InvalidInput:
            continue
        wanted[key] = spec.get(key)
    spec.kind = draw(st.sampled_from(["project", "main"]))
    try:
        spec.validate()
    except InvalidInput:
        assume(False)
    return spec, wanted


def rendered(spec: ProjectSpec) -> dict[str, bytes]:
    return {f.path: f.content for f in render(spec)}


def actionlint(files: dict[str, bytes]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for path, content in files.items():
            if path.startswith(".github/workflows/"):
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                paths.append(str(target))
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        return subprocess.run(["actionlint", "-no-color", *paths], cwd=root, capture_output=True, text=True)


def literal(source: bytes, name: str) -> object:
    """The value assigned to ``name`` at module level (a literal), as Python reads it."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} = … in the file")


@BOUNDED
@given(specs())
def test_any_accepted_value_renders_into_files_that_parse_and_read_back(case):
    spec, wanted = case
    files = rendered(spec)

    for path, content in files.items():
        if path.endswith(".py"):
            compile(content, path, "exec")  # SyntaxError fails the property

    for branch in spec.branch_names:
        workflow = yaml.safe_load(files[f".github/workflows/{branch}.yml"])
        assert workflow["name"] == branch
        assert workflow[True]["push"]["branches"] == [branch]  # PyYAML reads the key `on` as True
        assert f".github/workflows/{branch}.yml" in workflow[True]["push"]["paths"]
        assert workflow["jobs"]["pipeline"]["environment"] == branch
        assert workflow["concurrency"]["group"] == f"pipeline-{branch}"
        assert (workflow[True].get("schedule") or [{"cron": ""}])[0]["cron"] == spec.branches[branch].schedule
        assert literal(files[f"src/pipelines/{branch}/main.py"], "BRANCH") == branch
        config = yaml.safe_load(files[f"src/pipelines/{branch}/config.yaml"])
        assert config["experiment"] == spec.branches[branch].kfp_experiment
        assert config["data"]["uri"] == spec.branches[branch].data_uri
    assert "${{ github.token" not in b"".join(files.values()).decode()

    lint = actionlint(files)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    from configobj import ConfigObj  # DVC's own config reader

    dvc = ConfigObj(files[".dvc/config"].decode().splitlines()).dict()
    assert dvc["core"]["remote"] == spec.default_branch
    for branch in spec.branch_names:
        assert dvc[f'remote "{branch}"']["url"] == spec.branches[branch].data_remote

    if spec.is_main:
        defaults = tomllib.loads(files["mlops-defaults.toml"].decode())
        assert defaults["project"]["description"] == spec.description
        assert set(defaults["branches"]) == set(spec.branch_names)
    back = loads(files["mlops.toml"].decode())
    assert back.flat() == spec.flat()
    for key, value in wanted.items():
        assert back.get(key) == (",".join(value) if key == "branches" else value), key
    assert dumps(back) == files["mlops.toml"].decode()


@BOUNDED
@given(value=free_text)
def test_the_description_is_the_same_string_in_python_toml_and_yaml(value):
    spec = ProjectSpec.default("wine")
    spec.kind = "main"
    try:
        spec.set("description", value)
    except InvalidInput:
        assume(False)
    files = rendered(spec)
    tree = ast.parse(files["src/pipelines/pipeline.py"])
    decorator = next(d for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for d in node.decorator_list)
    keywords = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
    assert keywords["description"] == spec.description
    assert tomllib.loads(files["mlops-defaults.toml"].decode())["project"]["description"] == spec.description


# ---------------------------------------------------------------- the findings, replayed


@pytest.mark.parametrize(
    "name",
    [
        "dev$(id)",
        "x${{github.token}}",
        'x"+__import__("os").system("id")+"',
        "dev`id`",
        "a;b",
        "a|b",
        "a&b",
        "a{b}",
        "a!b",
        "a%b",
        "a@b",
        "a'b",
        "ünïcode",
        "a b",
    ],
)
def test_branch_names_that_would_be_code_are_refused_with_the_allowed_characters(name):
    problem = check_branch_name(name)
    assert problem and "use letters, digits, '.', '_', '-' and '/'" in problem


def test_the_sweeps_branch_list_is_refused_by_init_and_validate(tmp_path, cli):
    proc = cli("init", str(tmp_path / "p"), "--yes", "--set", 'branches=dev$(id),x${{github.token}},x"+"')
    assert proc.returncode == 2 and "branches:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("description", "see ${{ secrets.KFP_TOKEN }}", "GitHub Actions would evaluate"),
        ("development.kfp.experiment", "exp${{github.token}}", "GitHub Actions would evaluate"),
        ("development.data.uri", "data/${{ github.token }}.csv", "GitHub Actions would evaluate"),
        ("description", "two\nlines", "must be one line"),
        ("description", "nul\x00byte", "U+0000"),
        ("description", "bidi\u2028sep", "U+2028"),
        ("development.data.remote", "/data/%(home)s", "DVC's config"),
    ],
)
def test_no_setting_can_hold_an_expression_or_a_line_break(key, value, words):
    spec = ProjectSpec.default("wine")
    with pytest.raises(InvalidInput, match=None) as refused:
        spec.set(key, value)
    assert words in refused.value.message


def test_the_yaml_filter_refuses_an_expression_that_reached_it_anyway():
    """Defence in depth: a value that slipped past validation still never becomes `${{ }}` in a file."""
    spec = ProjectSpec.default("wine")
    spec.branches["development"].kfp_experiment = "x${{ github.token }}"  # set around the validators
    with pytest.raises(InvalidInput, match="GitHub Actions expression"):
        render(spec)


def test_a_dvc_remote_with_a_hash_and_quotes_reads_back_whole():
    """The sweep: data.remote went raw into .dvc/config, and DVC (configobj) dropped everything after '#'."""
    from configobj import ConfigObj

    spec = ProjectSpec.default("wine")
    spec.set("data.dvc", "true")
    for value in ("/data/dvc #1", '/data/it\'s "here"', "/data/a, b = c"):
        spec.set("development.data.remote", value)
        config = ConfigObj(rendered(spec)[".dvc/config"].decode().splitlines()).dict()
        assert config['remote "development"']["url"] == value
