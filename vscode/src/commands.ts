/**
 * The palette and tree commands. Each one picks what the CLI needs (project, branch, a value), runs one verb
 * with `--json` and reports: no operation is implemented here.
 */
import * as vscode from "vscode";
import { githubEnv, output, run } from "./runner";
import { BranchStatus, Node, ProjectStatus, findProjects, projectStatus } from "./status";

function githubUrlSetting(): string | undefined {
  return vscode.workspace.getConfiguration("jupyterMlops").get<string>("githubUrl")?.trim() || undefined;
}

/**
 * The project a command acts on (the tree item's, the only one, or the one the user picks), as it is now: a
 * tree item only says which project; its status is read again, as the item may predate the last change.
 */
export async function pickProject(node?: Node): Promise<ProjectStatus | undefined> {
  let root = node?.project?.root;
  if (!root) {
    const roots = await findProjects();
    if (!roots.length) {
      void vscode.window.showErrorMessage(
        "MLOps: no jupyter-mlops project (a folder with mlops.toml) in this workspace. MLOps: New Project… creates one.",
      );
      return undefined;
    }
    root =
      roots.length === 1
        ? roots[0]
        : (
            await vscode.window.showQuickPick(
              roots.map((r) => ({ label: vscode.workspace.asRelativePath(r), root: r })),
              { title: "MLOps: which project?" },
            )
          )?.root;
  }
  if (!root) return undefined;
  const status = await projectStatus(root);
  if (!status) void vscode.window.showErrorMessage(`MLOps: ${root} has no readable status; see the MLOps output.`);
  return status;
}

async function pickBranch(project: ProjectStatus, node: Node | undefined, title: string): Promise<BranchStatus | undefined> {
  const named = node?.branch && project.branches.find((b) => b.name === node.branch?.name);
  if (named) return named;
  const picked = await vscode.window.showQuickPick(
    project.branches.map((b) => ({
      label: b.name,
      description: b.exists ? `${(b.commit ?? "").slice(0, 8)} ${b.subject}` : "missing",
      branch: b,
    })),
    { title },
  );
  return picked?.branch;
}

function apiUrl(project: ProjectStatus): string | undefined {
  return project.remote.api_url ?? githubUrlSetting();
}

function showLink(message: string, link: string | null | undefined): void {
  if (!link) {
    void vscode.window.showInformationMessage(message);
    return;
  }
  void vscode.window.showInformationMessage(`${message} ${link}`, "Open").then((choice) => {
    if (choice && /^https?:/.test(link)) void vscode.env.openExternal(vscode.Uri.parse(link));
  });
}

export async function push(node?: Node): Promise<void> {
  const project = await pickProject(node);
  if (!project) return;
  const args = ["push", project.root, "--yes"];
  let env: Record<string, string> | undefined = {};
  let url = apiUrl(project);
  if (project.remote.kind !== "github") {
    const owner = await vscode.window.showInputBox({
      title: "MLOps: Push to GitHub",
      prompt: "GitHub user or organisation (empty: push to the project's git remote or the local embedded default)",
      ignoreFocusOut: true,
    });
    if (owner === undefined) return;
    if (owner.trim()) {
      args.push("--owner", owner.trim());
      const given = await vscode.window.showInputBox({
        title: "MLOps: GitHub API URL",
        prompt: "Empty for github.com; https://HOST/api/v3 for GitHub Enterprise",
        value: url ?? "",
        ignoreFocusOut: true,
      });
      if (given === undefined) return;
      url = given.trim() || undefined;
      env = await githubEnv(url);
      if (!env) return;
    }
  } else {
    env = await githubEnv(url);
    if (!env) return;
  }
  if (url && (project.remote.kind === "github" || args.includes("--owner"))) args.push("--github-url", url);
  const outcome = await run({ title: `Push ${project.name}`, args, env, progress: true });
  const result = outcome.result as { repo_url?: string | null; remote_url?: string; nothing_to_do?: boolean } | undefined;
  if (result) showLink(result.nothing_to_do ? `MLOps: ${project.name} is up to date.` : `MLOps: pushed ${project.name}.`, result.repo_url ?? result.remote_url);
}

export async function setSecret(node?: Node): Promise<void> {
  const project = await pickProject(node);
  if (!project) return;
  const branch = await pickBranch(project, node, "MLOps: set a secret for which branch?");
  if (!branch) return;
  const other = "Another name…";
  let name = (
    await vscode.window.showQuickPick([...branch.secrets, other], {
      title: `MLOps: which secret of ${branch.name}?`,
      placeHolder: branch.secrets.length ? "The branch's CI reads these" : "The branch's CI reads no secret yet",
    })
  )?.toString();
  if (name === other) {
    name = await vscode.window.showInputBox({ title: "MLOps: secret name", prompt: "e.g. KFP_TOKEN, AWS_SECRET_ACCESS_KEY" });
  }
  if (!name) return;
  const value = await vscode.window.showInputBox({
    title: `MLOps: ${name} for ${branch.name}`,
    prompt: "The value goes to the CLI on standard input and reaches GitHub sealed; it is never stored here.",
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return;
  const env = await githubEnv(apiUrl(project));
  if (!env) return;
  const outcome = await run({
    title: `Set ${name} for ${branch.name}`,
    args: ["secrets", "set", name, "--env", branch.name, project.root],
    stdin: value,
    env,
    progress: true,
  });
  if (outcome.result) void vscode.window.showInformationMessage(`MLOps: ${name} is set for ${branch.name}.`);
}

async function entryPoint(node: Node | undefined, what: "check" | "inference" | "local" | "submit"): Promise<void> {
  const project = await pickProject(node);
  if (!project) return;
  const titles = {
    check: "Run Preflight",
    inference: "Run Inference Tests",
    local: "Run Pipeline Locally",
    submit: "Submit Pipeline",
  };
  const branch = await pickBranch(project, node, `MLOps: ${titles[what]} on which branch?`);
  if (!branch) return;
  // The inference tests are check's other mode: the branch's deployed model called as CI calls it.
  const extra = { check: [], inference: ["--inference"], local: ["--local"], submit: [] }[what];
  const verb = what === "check" || what === "inference" ? "check" : "run";
  const args = [verb, project.root, "--branch", branch.name, ...extra];
  output().show(true);
  const outcome = await run({ title: `${titles[what]} (${branch.name})`, args, progress: true });
  const result = outcome.result as { run_url?: string | null } | undefined;
  if (result) showLink(`MLOps: ${titles[what]} on ${branch.name} finished.`, result.run_url);
}

export const preflight = (node?: Node) => entryPoint(node, "check");
export const inferenceTests = (node?: Node) => entryPoint(node, "inference");
export const runLocal = (node?: Node) => entryPoint(node, "local");
export const submit = (node?: Node) => entryPoint(node, "submit");

export async function promote(node?: Node): Promise<void> {
  const project = await pickProject(node);
  if (!project) return;
  const names = project.branches.map((b) => b.name);
  const steps = names.slice(1).map((to, i) => ({ label: `${names[i]} → ${to}`, from: names[i], to }));
  const step = await vscode.window.showQuickPick(steps, { title: "MLOps: open the pull request for which step?" });
  if (!step) return;
  const env = await githubEnv(apiUrl(project));
  if (!env) return;
  const args = ["promote", step.from, step.to, project.root, ...(apiUrl(project) ? ["--github-url", apiUrl(project)!] : [])];
  const outcome = await run({ title: `Promote ${step.label}`, args, env, progress: true });
  const result = outcome.result as { status?: string; url?: string | null } | undefined;
  if (result) {
    showLink(
      result.status === "nothing" ? `MLOps: nothing to promote from ${step.from} to ${step.to}.` : "MLOps: pull request",
      result.url,
    );
  }
}

export async function sync(node?: Node): Promise<void> {
  const project = await pickProject(node);
  if (!project) return;
  const env = project.remote.kind === "github" ? await githubEnv(apiUrl(project)) : {};
  if (!env) return;
  const outcome = await run({ title: `Sync ${project.name} with its main repo`, args: ["sync", project.root], env, progress: true });
  const result = outcome.result as { projects?: Array<{ status: string }> } | undefined;
  if (result) {
    const states = (result.projects ?? []).map((p) => p.status).join(", ");
    const message = `MLOps: sync of ${project.name}: ${states || "done"}.`;
    if (outcome.exitCode === 0) void vscode.window.showInformationMessage(message);
    else void vscode.window.showWarningMessage(`${message} See the MLOps output for the conflicts.`);
  }
}
