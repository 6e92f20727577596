/**
 * MLOps: New Project… — a webview wizard rendered from `jupyter mlops schema --json`.
 *
 * Pages: the schema's groups (Project, Options, Platform per branch, GitHub) → Secrets → Review → Create.
 * The webview (media/wizard.js) only renders and collects; this side runs the CLI: `validate` for the errors
 * shown at each field, `init --dry-run` for the review, then `init` and `push` with their progress. Secret
 * values and the token travel webview → here → the CLI's standard input / environment, and nowhere else.
 */
import * as crypto from "crypto";
import * as path from "path";
import * as vscode from "vscode";
import { CliError } from "./events";
import { setArguments, Values } from "./form";
import { githubEnv, output, run } from "./runner";

interface PushOptions {
  githubUrl?: string;
  visibility?: "private" | "public";
  token?: string;
}

type FromWebview =
  | { type: "ready" }
  | { type: "schema"; branches?: string }
  | { type: "validate"; id: number; values: Values }
  | { type: "review"; settings: Values; push: PushOptions }
  | { type: "create"; settings: Values; push: PushOptions; secrets: Record<string, Record<string, string>> }
  | { type: "cancel" };

let current: Wizard | undefined;

/** Opens the wizard (or brings the open one forward); resolves once its first page can be shown. */
export async function openWizard(context: vscode.ExtensionContext): Promise<void> {
  if (current) {
    current.panel.reveal();
    return;
  }
  let parent = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!parent) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: "Create the project in this folder",
    });
    parent = picked?.[0]?.fsPath;
    if (!parent) return;
  }
  current = new Wizard(context, parent);
}

class Wizard {
  readonly panel: vscode.WebviewPanel;
  private cancel: vscode.CancellationTokenSource | undefined;
  private ready = false;
  private pending: Array<Record<string, unknown>> = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly parent: string,
  ) {
    this.panel = vscode.window.createWebviewPanel("jupyterMlops.wizard", "MLOps: New Project", vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, "media"), vscode.Uri.joinPath(context.extensionUri, "out")],
    });
    this.panel.onDidDispose(() => {
      this.cancel?.cancel();
      current = undefined;
    });
    this.panel.webview.onDidReceiveMessage((message: FromWebview) => void this.handle(message));
    this.panel.webview.html = this.html();
    void this.sendSchema(); // in parallel with the page's loading: the first field shows sooner
  }

  /** Messages wait until the page's script has said it is ready (earlier ones would be lost). */
  private post(message: Record<string, unknown>): void {
    if (this.ready) void this.panel.webview.postMessage(message);
    else this.pending.push(message);
  }

  private async sendSchema(branches?: string): Promise<void> {
    const args = ["schema", ...(branches ? ["--branches", branches] : [])];
    const outcome = await run({ title: "Settings schema", args, quietErrors: true });
    if (outcome.result) {
      this.post({ type: "schema", schema: outcome.result, branches: branches ?? null, parent: this.parent });
    } else {
      this.post({ type: "failed", error: outcome.error, where: "schema" });
    }
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        this.ready = true;
        this.pending.splice(0).forEach((m) => void this.panel.webview.postMessage(m));
        return;
      case "schema":
        return this.sendSchema(message.branches);
      case "validate": {
        const outcome = await run({
          title: "Validate settings",
          args: ["validate"],
          stdin: JSON.stringify(message.values),
          quietErrors: true,
        });
        this.post({ type: "validation", id: message.id, answer: outcome.result ?? null, error: outcome.error ?? null });
        return;
      }
      case "review":
        return this.review(message.settings, message.push);
      case "create":
        return this.create(message.settings, message.push, message.secrets);
      case "cancel":
        this.cancel?.cancel();
        return;
    }
  }

  private initArgs(settings: Values, extra: string[] = []): string[] {
    const name = String(settings.name ?? "");
    return ["init", path.join(this.parent, name), "--name", name, ...setArguments(settings), "--yes", ...extra];
  }

  private pushArgs(settings: Values, push: PushOptions): string[] {
    const root = path.join(this.parent, String(settings.name ?? ""));
    const args = ["push", root, "--yes"];
    if (settings.owner) {
      if (push.githubUrl) args.push("--github-url", push.githubUrl);
      args.push(push.visibility === "public" ? "--public" : "--private");
    }
    return args;
  }

  private async review(settings: Values, push: PushOptions): Promise<void> {
    const outcome = await run({ title: "Plan", args: this.initArgs(settings, ["--dry-run"]), quietErrors: true });
    const plan = outcome.result as { describe?: string[] } | undefined;
    const target = settings.owner
      ? `Then push to GitHub ${settings.owner}/${settings.name}${push.githubUrl ? ` at ${push.githubUrl}` : ""} (${push.visibility ?? "private"}): repository, branches, one environment per branch, the secrets given.`
      : "Then push to the local embedded default remote (no GitHub owner given).";
    this.post({ type: "plan", lines: plan?.describe ?? [], push: target, error: outcome.error ?? null });
  }

  private async create(settings: Values, push: PushOptions, secrets: Record<string, Record<string, string>>): Promise<void> {
    this.cancel = new vscode.CancellationTokenSource();
    const onEvent = (event: unknown) => this.post({ type: "event", event });
    output().show(true);
    const init = await run({
      title: `Create ${settings.name}`,
      args: this.initArgs(settings),
      progress: true,
      cancel: this.cancel.token,
      onEvent,
      quietErrors: true,
    });
    if (!init.result) return this.failed(init.error, init.cancelled);
    let env: Record<string, string> = {};
    if (settings.owner) {
      const given = await githubEnv(push.githubUrl || undefined, push.token || undefined);
      if (!given) return this.failed({ reason: "unauthenticated", message: "No GitHub token was given.", details: [], fix: "Give the token on the GitHub page, or start VS Code with GITHUB_TOKEN set.", exit_code: 2 }, false);
      env = given;
    }
    const hasSecrets = Object.values(secrets).some((values) => Object.keys(values).length);
    const pushed = await run({
      title: `Push ${settings.name}`,
      args: [...this.pushArgs(settings, push), ...(hasSecrets ? ["--secrets-file", "-"] : [])],
      stdin: hasSecrets ? JSON.stringify(secrets) : undefined,
      env,
      progress: true,
      cancel: this.cancel.token,
      onEvent,
      quietErrors: true,
    });
    if (!pushed.result) return this.failed(pushed.error, pushed.cancelled, true);
    const result = pushed.result as { repo_url?: string | null; remote_url?: string; warnings?: string[] };
    const link = result.repo_url ?? result.remote_url ?? null;
    this.post({ type: "done", root: path.join(this.parent, String(settings.name)), link, warnings: result.warnings ?? [] });
    void vscode.commands.executeCommand("jupyterMlops.refreshStatus");
  }

  private failed(error: CliError | undefined, cancelled: boolean, created = false): void {
    this.post({ type: "failed", error: error ?? null, cancelled, created });
    if (created) void vscode.commands.executeCommand("jupyterMlops.refreshStatus");
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = crypto.randomBytes(16).toString("base64");
    const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...parts));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${uri("media", "wizard.css")}" rel="stylesheet">
<title>MLOps: New Project</title>
</head>
<body>
<main class="mlops-wizard" aria-busy="true"><p class="loading">Loading the settings…</p></main>
<script nonce="${nonce}">var exports = {};</script>
<script nonce="${nonce}" src="${uri("out", "form.js")}"></script>
<script nonce="${nonce}" src="${uri("media", "wizard.js")}"></script>
</body>
</html>`;
  }
}
