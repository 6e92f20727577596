"""The project wizard (ipywidgets): the settings schema's pages (Project → Options → Platform per branch →
GitHub), then Secrets → Review → Create.

It calls the operations in-process, so it works in any notebook front end, with or without a Jupyter
server (VS Code, JupyterLab, plain IPython kernels). Its pages and fields are rendered from the settings
schema (``forms.json_schema``: the table's pages, order, ``x-when`` and help), so a row added to the table
appears here with no change; fields are judged by the same rules as the CLI and the REST API
(``forms.field_errors``). Each step is a small state machine — init → ready ⇄ configured → active →
success | fail — and the Next button follows the current step's state. The Create step runs one job on
one thread; ``wait()``/``close()`` join it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as w

from .. import payloads
from ..errors import InvalidInput, MlopsError
from ..operations.init import InitPlan, plan_init
from ..operations.jobs import Job
from ..settings import forms
from ..settings.spec import check_url
from .fields import WIDE, Field, SecretField, note
from .flow import create_project


class Step:
    title = ""

    def __init__(self, wizard: Wizard) -> None:
        self.wizard = wizard
        self.state = "init"
        self.box = w.VBox()

    def build(self) -> None:
        """Create the widgets (once, on first entry)."""

    def check(self) -> bool:
        """Show inline errors; True when the step's inputs are complete and valid."""
        return True

    def enter(self) -> None:
        if self.state == "init":
            self.build()
        self.refresh()

    def refresh(self) -> None:
        if self.state in ("init", "ready", "configured", "fail"):
            self.state = "configured" if self.check() else "ready"


class PageStep(Step):
    """One page of the schema (``x-groups``): its fields in ``x-order``, each hidden while its ``x-when`` fails."""

    def __init__(self, wizard: Wizard, group: payloads.SettingsPage) -> None:
        super().__init__(wizard)
        self.group = group
        self.title = group["title"]

    def keys(self) -> list[str]:
        return self.wizard.keys_on(self.group["id"])

    def fields_box(self, keys: list[str]) -> list[w.Widget]:
        return [self.wizard.add_field(k).box for k in keys]

    def build(self) -> None:
        self.box.children = [note(html.escape(self.group["description"])), *self.fields_box(self.keys())]

    def check(self) -> bool:
        return self.wizard.show_errors(self.keys(), self.wizard.errors())


class BranchPageStep(PageStep):
    """A per-branch page (``x-per-branch``): one tab per branch, rebuilt when the branch list changes."""

    def build(self) -> None:
        self.tabs = w.Tab()
        self.box.children = [note(html.escape(self.group["description"])), self.tabs]
        self._built: list[str] = []

    def enter(self) -> None:
        if self.state == "init":
            self.build()
        branches = self.wizard.branches()
        if branches != self._built:
            keys = self.keys()
            self.tabs.children = [
                w.VBox(self.fields_box([k for k in keys if self.wizard.branch_of(k) == b])) for b in branches
            ]
            self.tabs.titles = tuple(branches)
            self._built = branches
        self.refresh()


class ProjectStep(PageStep):
    """The project page, plus the folder the project is created in (a wizard-only field)."""

    def build(self) -> None:
        wz = self.wizard
        fields = self.fields_box(self.keys())
        self.folder = w.Text(
            value=wz.values["name"],
            description="Folder",
            style={"description_width": "11em"},
            layout=WIDE,
            placeholder="where the project is created, relative to the wizard's folder",
        )
        self.folder_error = w.HTML()
        self.folder.observe(lambda _c: wz.changed(), names="value")
        self._name = wz.values["name"]
        wz.fields["name"].input.observe(self._follow_name, names="value")
        self.box.children = [
            note(
                f"The project is created in a new folder under <code>{html.escape(str(wz.root))}"
                "</code>, with branches, CI workflows and the pipeline skeleton."
            ),
            *fields,
            self.folder,
            self.folder_error,
        ]

    def _follow_name(self, change: dict) -> None:
        """Values derived from the name (folder, experiments) follow it until the user changes them."""
        old, new = self._name, change["new"]
        self._name = new
        if self.folder.value == old:
            self.folder.value = new
        for key in list(self.wizard.values):
            branch = key[: -len(".kfp.experiment")] if key.endswith(".kfp.experiment") else None
            if branch and self.wizard.value(key) == f"{old}-{branch}":
                self.wizard.set_value(key, f"{new}-{branch}")

    def check(self) -> bool:
        ok = super().check()
        folder = self.folder.value.strip()
        message = None if folder else "give the folder to create the project in, e.g. wine-quality"
        self.folder_error.value = (
            f'<span style="color:#cf222e;margin-left:11.5em">{html.escape(message)}</span>' if message else ""
        )
        return ok and not message


class GitHubStep(PageStep):
    """The GitHub page, plus what the push needs that is not a setting: token, visibility, API URL, remote."""

    def build(self) -> None:
        wz = self.wizard
        fields = self.fields_box(self.keys())
        style = {"description_width": "11em"}
        self.private = w.Checkbox(value=True, description="Private repository", indent=True)
        self.github_url = w.Text(
            description="GitHub API URL",
            style=style,
            layout=WIDE,
            placeholder="empty for github.com; https://HOST/api/v3 for GitHub Enterprise",
        )
        self.github_url_error = w.HTML()
        self.remote = w.Text(
            description="Git remote",
            style=style,
            layout=WIDE,
            placeholder="without an owner: empty for a local bare repository, or any git URL",
        )
        self.token = SecretField(
            "GitHub token",
            "classic: repo + workflow scopes; fine-grained: contents, "
            "workflows, environments, secrets (read and write)",
            wz.changed,
        )
        self.hint = note("")
        for widget in (self.github_url, self.remote):
            widget.observe(lambda _c: wz.changed(), names="value")
        self.box.children = [
            self.hint,
            *fields,
            self.token.box,
            self.private,
            self.github_url,
            self.github_url_error,
            self.remote,
        ]

    def check(self) -> bool:
        owner = self.wizard.value("owner")
        self.hint.value = note(
            f"The repository will be created as <b>{html.escape(owner)}/{html.escape(self.wizard.value('name'))}"
            "</b>; the token is used for this run only and is not stored."
            if owner
            else "No owner: the project is pushed to a local bare repository next to it (or to the git remote "
            "below) — no account needed. Give an owner to create it on GitHub."
        ).value
        ok = super().check()
        url_problem = check_url(self.github_url.value.strip())
        self.github_url_error.value = (
            f'<span style="color:#cf222e;margin-left:11.5em">github_url: {html.escape(url_problem)}</span>'
            if url_problem
            else ""
        )
        token_problem = (
            "a token is needed to create the repository on GitHub" if owner and not self.token.input.value else None
        )
        self.token.show_error(token_problem)
        return ok and not url_problem and not token_problem


# The pages with fields of their own besides the schema's.
SPECIAL_PAGES: dict[str, type[PageStep]] = {"project": ProjectStep, "github": GitHubStep}


class SecretsStep(Step):
    title = "Secrets"

    def build(self) -> None:
        self.fields: dict[tuple[str, str], SecretField] = {}

    def enter(self) -> None:
        super().enter()
        errors, spec = forms.field_errors(self.wizard.settings())
        required = forms.required_secrets(spec) if spec else {}
        optional = forms.optional_secrets(spec) if spec else {}
        rows: list[w.Widget] = []
        if not self.wizard.value("owner"):
            rows.append(
                note(
                    "CI secrets live on GitHub. Without an owner there is nowhere to set them yet: "
                    "after pushing to GitHub, set them with <code>%mlops secrets set NAME --env BRANCH"
                    "</code>. The names each branch needs are listed in the review."
                )
            )
        elif not any(required.values()) and not any(optional.values()):
            rows.append(note("With these settings no branch needs a secret."))
        else:
            rows.append(
                note(
                    "Values are encrypted for the branch's GitHub environment and never stored here. "
                    "Leave a field empty to set it later with <code>%mlops secrets set</code>."
                )
            )
            # The table's required names first, then those CI passes on only when set (an MLflow login).
            for branch in required:
                for name, label in [(n, n) for n in required[branch]] + [
                    (n, f"{n} (optional)") for n in optional.get(branch, [])
                ]:
                    if (branch, name) not in self.fields:
                        self.fields[branch, name] = SecretField(f"{branch}: {label}", f"{name} for {branch}")
                    rows.append(self.fields[branch, name].box)
        self.required = required
        self.box.children = rows
        self.refresh()


class ReviewStep(Step):
    title = "Review"

    def build(self) -> None:
        self.summary = w.HTML()
        self.box.children = [self.summary]

    def enter(self) -> None:
        if self.state == "init":
            self.build()
        self.plan = None
        try:
            self.plan = self.wizard.make_plan()
        except MlopsError as exc:
            self.state = "fail"
            self.summary.value = (
                f'<div style="color:#cf222e"><b>This cannot be created:</b><pre>'
                f"{html.escape(str(exc))}</pre>Go back and change the folder or the settings.</div>"
            )
            return
        self.state = "configured"
        self.summary.value = self.wizard.describe(self.plan)


class CreateStep(Step):
    title = "Create"

    def build(self) -> None:
        self.bar = w.FloatProgress(
            value=0, min=0, max=1, description="Progress", layout=WIDE, style={"description_width": "11em"}
        )
        self.log = w.HTML()
        self.links = w.HTML()
        self.box.children = [self.bar, self.log, self.links]

    def enter(self) -> None:
        if self.state == "init":
            self.build()
        if self.state not in ("active", "success"):
            self.state = "ready"


class Wizard:
    """``Wizard(root=".").widget``: the project is created in ``root/<folder>`` (the folder defaults to the name)."""

    def __init__(self, root: str | Path = ".", name: str = "ml-project") -> None:
        self.root = Path(root)
        self.values: dict[str, Any] = forms.defaults(name)["settings"]
        self.fields: dict[str, Field] = {}
        self.schema: payloads.SettingsSchema = forms.json_schema(self.branches())
        self.job: Job | None = None
        self._thread: threading.Thread | None = None
        self.pages: list[PageStep] = [
            SPECIAL_PAGES.get(g["id"], BranchPageStep if g.get("x-per-branch") else PageStep)(self, g)
            for g in self.schema["x-groups"]
        ]
        self.secrets, self.review, self.create = SecretsStep(self), ReviewStep(self), CreateStep(self)
        self.steps: list[Step] = [*self.pages, self.secrets, self.review, self.create]
        self.index = 0
        self.header = w.HTML()
        self.body = w.Box(layout=w.Layout(display="block", min_height="12em"))
        self.back_button = w.Button(description="Back", icon="arrow-left")
        self.next_button = w.Button(description="Next", icon="arrow-right", button_style="primary")
        self.create_button = w.Button(description="Create", icon="check", button_style="success")
        self.back_button.on_click(lambda _b: self.go(self.index - 1))
        self.next_button.on_click(lambda _b: self.go(self.index + 1))
        self.create_button.on_click(lambda _b: self.start())
        self.widget = w.VBox([self.header, self.body, w.HBox([self.back_button, self.next_button, self.create_button])])
        self.go(0)

    def page(self, group_id: str) -> PageStep:
        return next(p for p in self.pages if p.group["id"] == group_id)

    @property
    def project(self) -> ProjectStep:
        return self.page("project")  # type: ignore[return-value]

    @property
    def platform(self) -> BranchPageStep:
        return self.page("platform")  # type: ignore[return-value]

    @property
    def github(self) -> GitHubStep:
        return self.page("github")  # type: ignore[return-value]

    # ------------------------------------------------------------ the schema, values and validation

    def current_schema(self) -> payloads.SettingsSchema:
        """The schema for the branch list typed so far (the last good one while the list is being edited)."""
        branches = self.branches()
        if self.schema["x-branches"] != branches:
            try:
                self.schema = forms.json_schema(branches)
            except InvalidInput:
                pass
        return self.schema

    def keys_on(self, group_id: str) -> list[str]:
        """A page's keys in ``x-order`` (per-branch pages: branch after branch)."""
        schema = self.current_schema()
        fields, branches = schema["properties"], schema["x-branches"]

        def place(key: str) -> tuple[int, int]:
            branch = fields[key].get("x-branch")
            return (branches.index(branch) if branch else -1, fields[key]["x-order"])

        return sorted((k for k, f in fields.items() if f["x-group"] == group_id), key=place)

    def branch_of(self, key: str) -> str | None:
        field = self.schema["properties"].get(key)
        return field.get("x-branch") if field else None

    def add_field(self, key: str) -> Field:
        if key not in self.fields:
            if key not in self.values:  # a branch added on the Project step: its positional defaults
                fresh = forms.default_spec(self.value("name") or "ml-project", self.branches()).flat()
                self.values.setdefault(key, fresh.get(key, ""))
            self.fields[key] = Field(key, self.schema["properties"][key], self.values[key], self.changed)
            self.fields[key].show(self.holds(self.fields[key].when))
        return self.fields[key]

    def holds(self, when: dict[str, Any]) -> bool:
        return all(self.value(k) == v for k, v in when.items())

    def value(self, key: str) -> Any:
        return self.fields[key].value if key in self.fields else self.values.get(key, "")

    def set_value(self, key: str, value: Any) -> None:
        if key in self.fields:
            self.fields[key].value = value
        else:
            self.values[key] = value

    def branches(self) -> list[str]:
        try:
            return forms.default_spec("ml-project", self.value("branches")).branch_names
        except InvalidInput:
            return [k[: -len(".kfp.host")] for k in self.values if k.endswith(".kfp.host")]

    def settings(self) -> dict[str, Any]:
        """Every setting of the schema for the current branches; a hidden one is left out (not applied)."""
        out, fresh = {}, None
        for key in self.current_schema()["properties"]:
            if key not in self.fields and key not in self.values:  # a page not visited yet: its defaults
                fresh = fresh or forms.default_spec(self.value("name") or "ml-project", self.branches()).flat()
                self.values[key] = fresh.get(key, "")
            out[key] = self.value(key)
        return forms.applicable(out)

    def errors(self) -> dict[str, str]:
        return forms.field_errors(self.settings())[0]

    def show_errors(self, keys: Iterable[str], errors: dict[str, str]) -> bool:
        for key in keys:
            if key in self.fields:
                self.fields[key].show_error(errors.get(key))
        return not any(key in errors for key in keys)

    def target(self) -> Path:
        return self.root / self.project.folder.value.strip()

    # ------------------------------------------------------------ navigation

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    def go(self, index: int) -> None:
        if not 0 <= index < len(self.steps) or (self.step.state == "active"):
            return
        if index > self.index and self.step.state != "configured":
            return
        self.index = index
        self.step.enter()
        self.body.children = [self.step.box]
        self.update_nav()

    def changed(self) -> None:
        for field in self.fields.values():
            field.show(self.holds(field.when))
        self.step.refresh()
        self.update_nav()

    def update_nav(self) -> None:
        crumbs = []
        for i, step in enumerate(self.steps):
            label = f"{i + 1}. {step.title}"
            crumbs.append(f"<b>{label}</b>" if i == self.index else f'<span style="color:#57606a">{label}</span>')
        self.header.value = "<h3 style='margin:0.2em 0'>New ML project</h3>" + " › ".join(crumbs)
        last = self.index == len(self.steps) - 1
        state = self.step.state
        self.back_button.disabled = self.index == 0 or state in ("active", "success")
        self.next_button.layout.display = "none" if last else None
        self.next_button.disabled = state != "configured"
        self.create_button.layout.display = None if last else "none"
        self.create_button.disabled = state not in ("ready", "fail")

    # ------------------------------------------------------------ plan and create

    def spec(self):
        errors, spec = forms.field_errors(self.settings())
        if errors:
            raise InvalidInput("Some settings are not valid:", details=[f"{k}: {v}" for k, v in errors.items()])
        return spec

    def make_plan(self):
        return plan_init(self.target(), self.spec())

    def describe(self, plan: InitPlan) -> str:
        owner, name = self.value("owner"), plan.spec.name
        where = (
            f"GitHub repository <b>{html.escape(owner)}/{html.escape(name)}</b> "
            f"({'private' if self.github.private.value else 'public'})"
            if owner
            else "a local bare repository (no GitHub account needed)"
        )
        needed = [f"{b}: {', '.join(n)}" for b, n in self.secrets.required.items() if n]
        given = [f"{b}: {n}" for (b, n), f in self.secrets.fields.items() if f.input.value]
        return (
            f"<pre>{html.escape(chr(10).join(plan.describe()))}</pre>"
            f"<p>Then push all branches to {where}.</p>"
            f"<p>Secrets CI needs: {html.escape('; '.join(needed) or 'none')}<br>"
            f"Secrets to set now: {html.escape(', '.join(given) or 'none')}</p>"
        )

    def start(self) -> None:
        """The Create button: run init (and the push, when available) on a background thread."""
        if self.index != len(self.steps) - 1 or self.create.state not in ("ready", "fail"):
            return
        target, spec = self.target(), self.spec()
        token = self.github.token.take()
        secret_values = {key: f.take() for key, f in self.secrets.fields.items()}
        secret_values = {k: v for k, v in secret_values.items() if v}
        push = {
            "owner": self.value("owner"),
            "private": self.github.private.value,
            "github_url": self.github_url_value(),
            "remote": self.github.remote.value.strip(),
        }

        def run(progress):
            return create_project(target, spec, progress, token=token, secrets=secret_values, **push)

        # A job of kind init: Create makes the project (and pushes it when asked), as REST's init and push do.
        self.job = Job("init", run, path=str(target), secrets=(token, *secret_values.values()))
        self.job.listeners.append(self._on_event)
        self.create.state = "active"
        self.create.bar.value, self.create.bar.bar_style = 0.02, "info"
        self.create.log.value = self.create.links.value = ""
        self._events: list[str] = []
        self.update_nav()
        self._thread = threading.Thread(target=self._run_job, name="jupyter-mlops-wizard", daemon=True)
        self._thread.start()

    def github_url_value(self) -> str | None:
        return self.github.github_url.value.strip() or None

    def _on_event(self, event: payloads.Event) -> None:
        symbol = {"done": "✓", "skip": "·", "warn": "!", "fail": "✗", "start": "…"}.get(event["state"], " ")
        colour = {"warn": "#9a6700", "fail": "#cf222e"}.get(event["state"], "inherit")
        self._events.append(f'<div style="color:{colour}"><code>{symbol}</code> {html.escape(event["message"])}</div>')
        self.create.log.value = "".join(self._events[-12:])
        self.create.bar.value = min(0.95, self.create.bar.value + (1 - self.create.bar.value) * 0.2)

    def _run_job(self) -> None:
        job = self.job
        assert job is not None, "start() makes the job before it starts this thread"
        job.run()
        step = self.create
        if job.state == "succeeded":
            step.state, step.bar.value, step.bar.bar_style = "success", 1.0, "success"
            step.links.value = _links(job.result or {})
        else:
            step.state, step.bar.bar_style = "fail", "danger"
            error: payloads.Error = job.error or {"message": "Failed", "reason": "failed"}
            details = "".join(f"<li>{html.escape(d)}</li>" for d in error.get("details", []))
            step.links.value = (
                f'<div style="color:#cf222e"><b>{html.escape(error.get("message", "Failed"))}'
                f"</b><ul>{details}</ul>Fix it and press Create again: finished steps are "
                "not repeated.</div>"
            )
        self.update_nav()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the Create job's thread to end; True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def close(self) -> None:
        """Cancel a running job, wait for its thread, and close the widgets."""
        if self.job is not None:
            self.job.cancel()
        self.wait(60)
        self.widget.close()


def _links(result: dict) -> str:
    parts = []
    if result.get("url"):
        url = html.escape(result["url"], quote=True)
        parts.append(f'Repository: <a href="{url}" target="_blank" rel="noopener">{url}</a>')
    if result.get("remote"):
        parts.append(f"Remote: <code>{html.escape(result['remote'])}</code>")
    if result.get("path"):
        path = html.escape(result["path"], quote=True)
        parts.append(f'Project folder: <a href="{path}/README.md" target="_blank">{path}</a>')
    for note_text in result.get("notes", []):
        parts.append(html.escape(note_text))
    return '<div style="margin-top:0.5em">' + "<br>".join(parts) + "</div>"
