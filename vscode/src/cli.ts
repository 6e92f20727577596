/**
 * Finding and running the jupyter-mlops CLI. Every operation runs there (`--json`); this file only starts it,
 * feeds standard input (secret values, never argv), reads its lines and ends it on Cancel (SIGTERM: the CLI
 * unwinds as on Ctrl-C, leaving nothing half-done).
 */
import { spawn } from "child_process";
import * as path from "path";
import { Line, LineSplitter, Outcome, ProgressEvent, outcome, parseLine } from "./events";

export interface CliCommand {
  command: string;
  args: string[];
  /** Where it came from, for messages: "setting", "python extension" or "default". */
  source: "setting" | "python extension" | "default";
}

/**
 * Which command runs the CLI: the `jupyterMlops.cliPath` setting (the `jupyter-mlops` command, `jupyter`, or a
 * Python interpreter), else the workspace's interpreter as the Python extension reports it, else `python3`.
 */
export function discoverCli(cliPath: string | undefined, interpreter: string | undefined): CliCommand {
  const configured = (cliPath ?? "").trim();
  if (configured) {
    // win32.basename splits on both / and \, so a Windows path set in settings works everywhere
    const base = path.win32.basename(configured).toLowerCase().replace(/\.exe$/, "");
    if (/^python[0-9.]*$/.test(base) || base === "py") {
      return { command: configured, args: ["-m", "jupyter_mlops"], source: "setting" };
    }
    if (base === "jupyter") return { command: configured, args: ["mlops"], source: "setting" };
    return { command: configured, args: [], source: "setting" };
  }
  if (interpreter && interpreter.trim()) {
    return { command: interpreter.trim(), args: ["-m", "jupyter_mlops"], source: "python extension" };
  }
  return { command: "python3", args: ["-m", "jupyter_mlops"], source: "default" };
}

/** True when the run failed because the CLI is not there (no such program, or the package is not installed). */
export function isMissing(spawnError: NodeJS.ErrnoException | undefined, stderr: string): boolean {
  if (spawnError && (spawnError.code === "ENOENT" || spawnError.code === "EACCES")) return true;
  return /No module named '?jupyter_mlops|No module named jupyter_mlops|jupyter: '?mlops'? is not a Jupyter command/.test(
    stderr,
  );
}

/** The notification for a missing CLI: what was tried and how to install it. */
export function installHint(cli: CliCommand): string {
  const python = cli.args[0] === "-m" ? cli.command : "python3";
  const tried = [cli.command, ...cli.args].join(" ");
  return (
    `The jupyter-mlops CLI was not found (tried \`${tried}\`, from ${cli.source === "default" ? "the default" : `the ${cli.source}`}). ` +
    `Install it with \`${python} -m pip install jupyter-mlops\`, or set "jupyterMlops.cliPath" to the jupyter-mlops command.`
  );
}

export interface RunOptions {
  cwd?: string;
  /** Extra environment variables (the GitHub token goes here, never on the command line). */
  env?: Record<string, string>;
  /** Written to standard input, then closed (secret values). */
  stdin?: string;
  onEvent?: (event: ProgressEvent) => void;
  /** Every raw line, stdout and stderr, for the output channel. */
  onOutput?: (text: string, stream: "stdout" | "stderr") => void;
  /** Resolves (or is already resolved) when the user cancels. */
  cancelled?: { onCancellationRequested(listener: () => void): unknown; isCancellationRequested: boolean };
  /** Grace period between SIGTERM and SIGKILL on Cancel, ms. */
  killAfter?: number;
}

export interface RunOutcome extends Outcome {
  missing: boolean;
  cancelled: boolean;
}

/** Run `CLI ARGS --json` and resolve with its outcome; never rejects. */
export function runCli(cli: CliCommand, args: string[], options: RunOptions = {}): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const lines: Line[] = [];
    let stderr = "";
    let spawnError: NodeJS.ErrnoException | undefined;
    let cancelled = false;
    const child = spawn(cli.command, [...cli.args, ...args, "--json"], {
      cwd: options.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8", ...(options.env ?? {}) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out = new LineSplitter((text) => {
      options.onOutput?.(text, "stdout");
      const line = parseLine(text);
      lines.push(line);
      if (line.kind === "event") options.onEvent?.(line.event);
    });
    const err = new LineSplitter((text) => {
      stderr = (stderr + text + "\n").slice(-8000);
      options.onOutput?.(text, "stderr");
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => out.push(chunk));
    child.stderr.on("data", (chunk: string) => err.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.stdin.on("error", () => undefined); // the CLI may exit before reading (e.g. a usage error)
    child.stdin.end(options.stdin ?? "");
    let killer: NodeJS.Timeout | undefined;
    const cancel = () => {
      if (cancelled || child.exitCode !== null) return;
      cancelled = true;
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), options.killAfter ?? 15000);
    };
    if (options.cancelled) {
      if (options.cancelled.isCancellationRequested) cancel();
      else options.cancelled.onCancellationRequested(cancel);
    }
    child.on("close", (code, signal) => {
      if (killer) clearTimeout(killer);
      out.end();
      err.end();
      const exitCode = code ?? (signal ? 128 + 15 : 1);
      const missing = isMissing(spawnError, stderr);
      const base = outcome(lines, exitCode, spawnError ? String(spawnError.message) : stderr);
      resolve({ ...base, missing, cancelled });
    });
  });
}
