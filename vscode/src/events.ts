/**
 * The CLI's machine interface (`jupyter mlops VERB --json`), read line by line.
 *
 * stdout holds one JSON object per line: `{"event": {...}}` for each progress event, then one last line that
 * is either `{"error": {...}}` or the verb's result object (docs/reference/cli.md, "Machine interface").
 * Nothing here knows what any verb does: the CLI is the one implementation of every operation.
 */

export type State = "start" | "done" | "skip" | "warn" | "fail" | "info";

export interface ProgressEvent {
  step: string;
  state: State;
  message: string;
  link: string | null;
  time: number;
}

export interface CliError {
  reason: string;
  message: string;
  details: string[];
  fix: string | null;
  exit_code: number;
}

export type Line =
  | { kind: "event"; event: ProgressEvent }
  | { kind: "error"; error: CliError }
  | { kind: "result"; result: Record<string, unknown> }
  | { kind: "garbage"; text: string };

const STATES = new Set(["start", "done", "skip", "warn", "fail", "info"]);

/** One stdout line as the CLI meant it; a line that is not a JSON object is "garbage" (never thrown away silently). */
export function parseLine(text: string): Line {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "garbage", text };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { kind: "garbage", text };
  }
  const obj = value as Record<string, unknown>;
  if ("event" in obj) {
    const e = obj.event as Partial<ProgressEvent> | null;
    if (e && typeof e.step === "string" && typeof e.message === "string" && STATES.has(String(e.state))) {
      return {
        kind: "event",
        event: { step: e.step, state: e.state as State, message: e.message, link: e.link ?? null, time: Number(e.time ?? 0) },
      };
    }
    return { kind: "garbage", text };
  }
  if ("error" in obj) {
    const e = (obj.error ?? {}) as Partial<CliError>;
    return {
      kind: "error",
      error: {
        reason: String(e.reason ?? "error"),
        message: String(e.message ?? "The command failed."),
        details: Array.isArray(e.details) ? e.details.map(String) : [],
        fix: typeof e.fix === "string" && e.fix ? e.fix : null,
        exit_code: typeof e.exit_code === "number" ? e.exit_code : 1,
      },
    };
  }
  return { kind: "result", result: obj };
}

/** Splits a byte stream into lines across chunk boundaries (a JSON line may arrive in pieces). */
export class LineSplitter {
  private buffer = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let index: number;
    while ((index = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, index).replace(/\r$/, "");
      this.buffer = this.buffer.slice(index + 1);
      if (line.trim()) this.onLine(line);
    }
  }

  end(): void {
    const rest = this.buffer.trim();
    this.buffer = "";
    if (rest) this.onLine(rest);
  }
}

/** What a run ended with: the result object, or an error (the CLI's, or one made from a silent failure). */
export interface Outcome {
  exitCode: number;
  result?: Record<string, unknown>;
  error?: CliError;
  events: ProgressEvent[];
}

/** The outcome of a finished run from its parsed stdout lines, its exit code and the tail of stderr. */
export function outcome(lines: Line[], exitCode: number, stderrTail: string): Outcome {
  const events = lines.flatMap((l) => (l.kind === "event" ? [l.event] : []));
  const last = [...lines].reverse().find((l) => l.kind === "error" || l.kind === "result");
  if (last?.kind === "error") return { exitCode, error: last.error, events };
  if (last?.kind === "result") return { exitCode, result: last.result, events };
  const tail = stderrTail.trim().split("\n").slice(-3).join(" ").trim();
  return {
    exitCode,
    events,
    error: {
      reason: exitCode === 0 ? "no_result" : "failed",
      message: tail || `jupyter mlops ended with exit code ${exitCode} and no result`,
      details: [],
      fix: "See the MLOps output channel for the command's lines.",
      exit_code: exitCode || 1,
    },
  };
}

/** The notification text of an error: the CLI's message, its first details, and what to do. */
export function describeError(error: CliError): string {
  const details = error.details.slice(0, 3).join("; ");
  const message = details ? `${error.message} ${details}` : error.message;
  return error.fix && !message.includes(error.fix) ? `${message} — ${error.fix}` : message;
}
