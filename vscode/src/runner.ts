/**
 * VS Code around a CLI run: the "MLOps" output channel gets the CLI's lines, `withProgress` its events,
 * Cancel ends the process, and an error becomes a notification with the CLI's message and fix.
 */
import * as vscode from "vscode";
import { CliCommand, RunOutcome, discoverCli, installHint, runCli } from "./cli";
import { ProgressEvent, describeError } from "./events";

let channel: vscode.OutputChannel | undefined;

export function output(): vscode.OutputChannel {
  channel ??= vscode.window.createOutputChannel("MLOps");
  return channel;
}

/** The Python extension's interpreter for the workspace, when that extension is installed. */
async function pythonInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    return api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
  } catch {
    return undefined;
  }
}

export async function findCli(resource?: vscode.Uri): Promise<CliCommand> {
  const cliPath = vscode.workspace.getConfiguration("jupyterMlops", resource).get<string>("cliPath");
  return discoverCli(cliPath, cliPath ? undefined : await pythonInterpreter(resource));
}

export interface RunRequest {
  title: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Show a progress notification with Cancel (long work); otherwise run quietly (status, schema, validate). */
  progress?: boolean;
  onEvent?: (event: ProgressEvent) => void;
  cancel?: vscode.CancellationToken;
  /** Errors are shown by the caller (the wizard shows them at the field). */
  quietErrors?: boolean;
  /** A read the extension makes by itself (the status view's refresh): the output channel gets the command and
   * any error, not the CLI's prose, so refreshes do not fill it with status tables. */
  background?: boolean;
}

const NOISY = new Set(["start"]);

/** Run one CLI verb; the outcome is returned after the user has been told about a failure. */
export async function run(request: RunRequest): Promise<RunOutcome> {
  const cli = await findCli();
  const out = output();
  out.appendLine(`$ jupyter mlops ${request.args.join(" ")} --json`);
  const go = (report?: (e: ProgressEvent) => void, token?: vscode.CancellationToken) =>
    runCli(cli, request.args, {
      cwd: request.cwd,
      env: request.env,
      stdin: request.stdin,
      cancelled: token ?? request.cancel,
      onOutput: (text, stream) => {
        if (stream === "stderr" && !request.background) out.appendLine(text);
      },
      onEvent: (event) => {
        if (!NOISY.has(event.state) || request.progress) {
          out.appendLine(`[${event.state}] ${event.message}${event.link && !event.message.includes(event.link) ? "  " + event.link : ""}`);
        }
        report?.(event);
        request.onEvent?.(event);
      },
    });
  const outcome = request.progress
    ? await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `MLOps: ${request.title}`, cancellable: true },
        (progress, token) => go((event) => progress.report({ message: event.message }), token),
      )
    : await go();
  if (outcome.missing) {
    const hint = installHint(cli);
    out.appendLine(hint);
    void vscode.window.showErrorMessage(hint, "Open Settings").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "jupyterMlops.cliPath");
    });
    return outcome;
  }
  if (outcome.cancelled) {
    out.appendLine(`${request.title}: cancelled`);
    void vscode.window.showWarningMessage(
      `MLOps: ${request.title} was cancelled; nothing is left half-done. Run it again to finish the job.`,
    );
    return outcome;
  }
  if (outcome.error) {
    out.appendLine(`error: ${describeError(outcome.error)}`);
    if (!request.quietErrors) {
      void vscode.window.showErrorMessage(`MLOps: ${describeError(outcome.error)}`, "Show Output").then((choice) => {
        if (choice) out.show(true);
      });
    }
  }
  return outcome;
}

// ---------------------------------------------------------------- the GitHub token: memory only

const tokens = new Map<string, string>();

/**
 * Environment for a run that talks to GitHub. The CLI reads GITHUB_TOKEN/GH_TOKEN itself when the editor was
 * started with one; otherwise the token is asked once per window (a password box) and kept in memory only:
 * never in settings, secret storage, the workspace, argv or the output channel.
 */
export async function githubEnv(apiUrl: string | undefined, given?: string): Promise<Record<string, string> | undefined> {
  const key = apiUrl || "https://api.github.com";
  if (given) tokens.set(key, given);
  if (tokens.has(key)) return { GITHUB_TOKEN: tokens.get(key)! };
  if (process.env.GITHUB_TOKEN || process.env.GH_TOKEN) return {};
  const token = await vscode.window.showInputBox({
    title: "GitHub token",
    prompt: `A token for ${key} with the repo and workflow scopes. Kept in memory for this window only.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (!token) return undefined;
  tokens.set(key, token.trim());
  return { GITHUB_TOKEN: token.trim() };
}

export function forgetTokens(): void {
  tokens.clear();
}
