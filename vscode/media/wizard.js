// The New Project wizard's page script (a VS Code webview). It renders the pages the extension's form module
// (out/form.js, loaded before this file as `exports`) builds from the CLI's settings schema, collects values
// and asks the extension for everything else: validation, the plan and the creation all run in the CLI.
// Secret values and the token live only in this page's memory until Create sends them (never setState).
(function () {
  "use strict";
  const vscode = acquireVsCodeApi();
  const form = exports;
  const root = document.querySelector(".mlops-wizard");

  const state = {
    model: null,
    parent: "",
    values: {}, // setting key -> value the user set
    push: { githubUrl: "", visibility: "private", token: "" },
    secrets: {}, // branch -> NAME -> value
    errors: {},
    required: null, // branch -> [NAME], from the CLI's validate
    page: 0,
    plan: null,
    busy: false,
    finished: false,
  };
  let validationId = 0;
  const waiting = new Map();

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c) node.append(c);
    return node;
  }

  // ------------------------------------------------------------ pages

  function pages() {
    const schemaPages = state.model.pages.filter((p) => p.id !== "github");
    const github = state.model.pages.find((p) => p.id === "github");
    return [
      ...schemaPages.map((p) => ({ kind: "fields", ...p })),
      { kind: "github", id: "github", title: github ? github.title : "GitHub", description: github && github.description, fields: github ? github.fields : [] },
      { kind: "secrets", id: "secrets", title: "Secrets" },
      { kind: "review", id: "review", title: "Review" },
      { kind: "create", id: "create", title: "Create" },
    ];
  }

  function value(key) {
    const v = form.currentValue(state.model, state.values, key);
    return v === undefined ? "" : v;
  }

  function fieldRow(field) {
    const id = "f-" + field.key;
    let input;
    const onChange = (v) => {
      state.values[field.key] = v;
      delete state.errors[field.key];
      if (field.key === "branches") scheduleBranches(v);
      // Re-render only when the change shows or hides fields: re-rendering on every blur would replace the
      // button being clicked (its click would be lost).
      if (layout() !== state.layout) render({ keepFocus: true });
      else {
        const error = root.querySelector(`[data-error-for="${CSS.escape(field.key)}"]`);
        if (error) error.textContent = "";
        input.removeAttribute("aria-invalid");
      }
    };
    if (field.type === "boolean") {
      input = el("input", { type: "checkbox", id, "data-key": field.key, checked: value(field.key) === true });
      input.addEventListener("change", () => onChange(input.checked));
    } else if (field.choices) {
      input = el("select", { id, "data-key": field.key }, field.choices.map((c) => el("option", { value: c, text: c, selected: value(field.key) === c })));
      input.addEventListener("change", () => onChange(input.value));
    } else {
      input = el("input", { type: "text", id, "data-key": field.key, value: String(value(field.key)), spellcheck: "false" });
      input.addEventListener("change", () => onChange(input.value));
      input.addEventListener("input", () => {
        state.values[field.key] = input.value;
      });
    }
    const error = state.errors[field.key];
    if (error) input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `help-${field.key} err-${field.key}`);
    return el(
      "div",
      { class: "field" + (field.type === "boolean" ? " check" : ""), "data-field": field.key },
      el("label", { for: id, text: field.title }),
      input,
      el("div", { class: "help", id: `help-${field.key}`, text: field.description }),
      el("div", { class: "error", id: `err-${field.key}`, "data-error-for": field.key, role: "alert", text: error || "" }),
    );
  }

  function extraRow(key, label, help, input) {
    input.id = "f-" + key;
    input.setAttribute("data-key", key);
    return el("div", { class: "field", "data-field": key }, el("label", { for: input.id, text: label }), input, el("div", { class: "help", text: help }));
  }

  function visibleFields(page) {
    return (page.fields || []).filter((f) => form.isVisible(state.model, state.values, f));
  }

  function renderFields(page) {
    return visibleFields(page).map(fieldRow);
  }

  function renderGithub(page) {
    const url = el("input", { type: "text", value: state.push.githubUrl, placeholder: "https://api.github.com", spellcheck: "false" });
    url.addEventListener("input", () => (state.push.githubUrl = url.value.trim()));
    const vis = el("select", {}, ["private", "public"].map((v) => el("option", { value: v, text: v, selected: state.push.visibility === v })));
    vis.addEventListener("change", () => (state.push.visibility = vis.value));
    const token = el("input", { type: "password", value: state.push.token, autocomplete: "off" });
    token.addEventListener("input", () => (state.push.token = token.value));
    return [
      ...renderFields(page),
      extraRow("push.github_url", "GitHub API URL", "Empty for github.com; https://HOST/api/v3 for GitHub Enterprise.", url),
      extraRow("push.visibility", "Visibility", "A new repository is private unless you choose public.", vis),
      extraRow(
        "push.token",
        "GitHub token",
        "Classic token with the repo and workflow scopes. Used for this push only; kept in memory, never stored. Empty: the GITHUB_TOKEN VS Code was started with.",
        token,
      ),
    ];
  }

  function renderSecrets() {
    if (!state.required) return [el("p", { text: "Checking which secrets each branch needs…" })];
    const blocks = [];
    for (const branch of state.model.branches) {
      const specs = form.secretsFor(state.model, state.values, branch, state.required[branch] || []);
      const rows = specs.map((s) => {
        const key = `secret.${branch}.${s.name}`;
        const input = el("input", { type: "password", autocomplete: "off", value: (state.secrets[branch] || {})[s.name] || "" });
        input.addEventListener("input", () => {
          state.secrets[branch] = state.secrets[branch] || {};
          if (input.value) state.secrets[branch][s.name] = input.value;
          else delete state.secrets[branch][s.name];
        });
        return extraRow(key, s.name + (s.optional ? " (optional)" : ""), s.description || s.title, input);
      });
      blocks.push(el("fieldset", { "data-branch": branch }, el("legend", { text: branch }), rows.length ? rows : el("p", { class: "help", text: "This branch's CI reads no secret." })));
    }
    blocks.push(el("p", { class: "help", text: "Values left empty can be set later (MLOps: Set Secret…). They go to GitHub sealed, only when a GitHub owner is given." }));
    return blocks;
  }

  function renderReview() {
    if (!state.plan) return [el("p", { text: "Asking the CLI for the plan…" })];
    if (state.plan.error) return [el("p", { class: "banner error", role: "alert", text: describe(state.plan.error) })];
    return [
      el("p", { text: `In ${state.parent}:` }),
      el("pre", { class: "plan", tabindex: "0", text: state.plan.lines.join("\n") }),
      el("p", { class: "push-plan", text: state.plan.push }),
    ];
  }

  function renderCreate() {
    const list = el("ul", { class: "events", "aria-live": "polite" }, state.events.map((e) => el("li", { class: "ev-" + e.state, text: e.message })));
    const parts = [list];
    if (state.finished && state.link) {
      parts.push(el("p", { class: "done", text: "The project is ready: " }, el("a", { class: "repo-link", href: state.link, text: state.link })));
    }
    if (state.failure) parts.push(el("p", { class: "banner error", role: "alert", text: state.failure }));
    return parts;
  }

  function describe(error) {
    if (!error) return "The command failed; see the MLOps output.";
    const details = (error.details || []).slice(0, 3).join("; ");
    const message = details ? `${error.message} ${details}` : error.message;
    return error.fix && !message.includes(error.fix) ? `${message} — ${error.fix}` : message;
  }

  /** Which fields are shown on which page: what decides whether a change needs a new rendering. */
  function layout() {
    return pages()
      .map((p) => p.id + ":" + visibleFields(p).map((f) => f.key).join(","))
      .join("|");
  }

  function render(options) {
    state.layout = layout();
    const focused = options && options.keepFocus ? document.activeElement && document.activeElement.getAttribute("data-key") : null;
    const all = pages();
    const page = all[state.page];
    root.setAttribute("aria-busy", String(state.busy));
    root.setAttribute("data-step", page.id);
    const steps = el(
      "ol",
      { class: "steps" },
      all.map((p, i) => el("li", { class: i === state.page ? "current" : i < state.page ? "visited" : "", "aria-current": i === state.page ? "step" : null, text: p.title })),
    );
    let body;
    if (page.kind === "fields") body = renderFields(page);
    else if (page.kind === "github") body = renderGithub(page);
    else if (page.kind === "secrets") body = renderSecrets();
    else if (page.kind === "review") body = renderReview();
    else body = renderCreate();
    const section = el("section", { class: "page", "data-step": page.id, "aria-labelledby": "page-title" }, el("h2", { id: "page-title", text: page.title }), page.description ? el("p", { class: "intro", text: page.description }) : null, body);
    const back = el("button", { type: "button", class: "secondary", id: "back", disabled: state.page === 0 || state.busy || state.finished, onclick: () => go(-1) }, "Back");
    const nextLabel = page.kind === "review" ? "Create" : page.kind === "create" ? (state.busy ? "Cancel" : "Close") : "Next";
    const next = el("button", { type: "button", class: "primary", id: "next", disabled: state.busy && page.kind !== "create", onclick: () => go(1) }, nextLabel);
    const location = el("p", { class: "location", text: `Location: ${state.parent}${state.values.name ? "/" + state.values.name : ""}` });
    root.replaceChildren(el("h1", { text: "New MLOps project" }), steps, location, section, el("footer", {}, back, next));
    const target = (focused && root.querySelector(`[data-key="${CSS.escape(focused)}"]`)) || section.querySelector("input, select, pre, a, button");
    if (target && !(options && options.noFocus)) target.focus();
  }

  // ------------------------------------------------------------ navigation and the CLI's answers

  function validate() {
    const id = ++validationId;
    vscode.postMessage({ type: "validate", id, values: form.settingsToSend(state.model, state.values) });
    return new Promise((resolve) => waiting.set(id, resolve));
  }

  async function go(step) {
    const all = pages();
    const page = all[state.page];
    if (page.kind === "create") {
      if (state.busy) vscode.postMessage({ type: "cancel" });
      return;
    }
    if (step < 0) {
      state.page = Math.max(0, state.page - 1);
      return render();
    }
    if (page.kind === "review") return create();
    state.busy = true;
    render({ noFocus: true });
    const answer = await validate();
    state.busy = false;
    state.errors = answer.errors || {};
    if (answer.valid) state.required = answer.required_secrets || {};
    const visibleKeys = new Set(all.flatMap((p) => (p.fields || []).map((f) => f.key)));
    const onThisPage = (page.fields || []).some((f) => state.errors[f.key]);
    const firstBad = all.findIndex((p) => (p.fields || []).some((f) => state.errors[f.key]));
    const elsewhere = Object.keys(state.errors).some((k) => !visibleKeys.has(k));
    if (onThisPage) return render();
    if (all[state.page + 1].kind === "review") {
      if (firstBad >= 0) {
        state.page = firstBad;
        return render();
      }
      if (elsewhere) {
        state.plan = { error: { message: Object.entries(state.errors).map(([k, v]) => `${k}: ${v}`).join("; "), details: [] } };
      } else {
        state.plan = null;
        vscode.postMessage({ type: "review", settings: form.settingsToSend(state.model, state.values), push: state.push });
      }
    }
    state.page += 1;
    render();
  }

  function create() {
    state.page = pages().length - 1;
    state.busy = true;
    state.events = [];
    state.failure = null;
    vscode.postMessage({
      type: "create",
      settings: form.settingsToSend(state.model, state.values),
      push: state.push,
      secrets: state.secrets,
    });
    render();
  }

  let branchesTimer;
  function scheduleBranches(v) {
    clearTimeout(branchesTimer);
    branchesTimer = setTimeout(() => vscode.postMessage({ type: "schema", branches: String(v) }), 300);
  }

  window.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target && event.target.matches("input:not([type=checkbox])")) {
      event.preventDefault();
      event.target.dispatchEvent(new Event("change"));
      document.getElementById("next").click();
    }
  });

  window.addEventListener("message", (event) => {
    const m = event.data;
    if (m.type === "schema") {
      const branches = m.branches ? String(m.branches).split(",").map((b) => b.trim()).filter(Boolean) : undefined;
      state.model = form.buildForm(m.schema, branches);
      state.parent = m.parent || state.parent;
      state.page = Math.min(state.page, pages().length - 1);
      render({ keepFocus: true });
    } else if (m.type === "validation") {
      const resolve = waiting.get(m.id);
      waiting.delete(m.id);
      if (resolve) resolve(m.answer || { valid: false, errors: { name: describe(m.error) } });
    } else if (m.type === "plan") {
      state.plan = m;
      render();
    } else if (m.type === "event") {
      state.events = state.events || [];
      if (m.event.state !== "start") state.events.push(m.event);
      render({ noFocus: true });
    } else if (m.type === "done") {
      state.busy = false;
      state.finished = true;
      state.link = m.link;
      state.secrets = {};
      state.push.token = "";
      render();
    } else if (m.type === "failed") {
      state.busy = false;
      if (!state.model) {
        root.replaceChildren(el("p", { class: "banner error", role: "alert", text: describe(m.error) }));
        return;
      }
      state.failure = m.cancelled ? "Cancelled; nothing is left half-done. Create again to finish." : describe(m.error);
      if (m.error && m.error.details && !m.created) {
        for (const d of m.error.details) {
          const [k, ...rest] = d.split(": ");
          if (state.model.fields[k]) state.errors[k] = rest.join(": ");
        }
      }
      render();
    }
  });

  vscode.postMessage({ type: "ready" });
})();
