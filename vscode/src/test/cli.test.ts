import * as assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CliCommand, discoverCli, installHint, isMissing, runCli } from "../cli";

test("the cliPath setting wins: a command, jupyter, or a Python interpreter", () => {
  assert.deepEqual(discoverCli("/opt/bin/jupyter-mlops", "/venv/bin/python"), { command: "/opt/bin/jupyter-mlops", args: [], source: "setting" });
  assert.deepEqual(discoverCli("/usr/bin/jupyter", undefined).args, ["mlops"]);
  assert.deepEqual(discoverCli(" /venv/bin/python3.11 ", undefined), { command: "/venv/bin/python3.11", args: ["-m", "jupyter_mlops"], source: "setting" });
  assert.deepEqual(discoverCli("C:\\venv\\Scripts\\python.exe", undefined).args, ["-m", "jupyter_mlops"]);
});

test("without the setting: the Python extension's interpreter, else python3", () => {
  assert.deepEqual(discoverCli("", "/work/.venv/bin/python"), { command: "/work/.venv/bin/python", args: ["-m", "jupyter_mlops"], source: "python extension" });
  assert.deepEqual(discoverCli(undefined, undefined), { command: "python3", args: ["-m", "jupyter_mlops"], source: "default" });
});

test("a missing CLI is recognised and the hint says how to install it", () => {
  assert.ok(isMissing(Object.assign(new Error("spawn x ENOENT"), { code: "ENOENT" }), ""));
  assert.ok(isMissing(undefined, "/usr/bin/python3: No module named jupyter_mlops\n"));
  assert.ok(!isMissing(undefined, "error: Some settings are not valid"));
  const hint = installHint(discoverCli("", "/venv/bin/python"));
  assert.match(hint, /\/venv\/bin\/python -m pip install jupyter-mlops/);
  assert.match(hint, /jupyterMlops\.cliPath/);
});

// A stand-in CLI for the runner's own behaviour (stdin, chunked lines, Cancel): a node script that speaks the
// --json protocol. The real CLI's behaviour is tested in tests/test_cli_json.py and the end-to-end tests.
function fakeCli(body: string): CliCommand {
  const dir = mkdtempSync(join(tmpdir(), "fake-cli-"));
  const script = join(dir, "cli.js");
  writeFileSync(script, body);
  return { command: process.execPath, args: [script], source: "setting" };
}

test("runCli passes stdin and the environment, never argv, and reads events then the result", async () => {
  const cli = fakeCli(`
    let input = "";
    process.stdin.on("data", (d) => (input += d));
    process.stdin.on("end", () => {
      const ev = { step: "s", state: "done", message: "half", link: null, time: 0 };
      process.stdout.write(JSON.stringify({ event: ev }).slice(0, 20));
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ event: ev }).slice(20) + "\\n");
        console.error("a line for people");
        console.log(JSON.stringify({ argv: process.argv.slice(2), input, token: process.env.GITHUB_TOKEN }));
      }, 20);
    });`);
  const events: string[] = [];
  const output: string[] = [];
  const result = await runCli(cli, ["secrets", "set", "KFP_TOKEN"], {
    stdin: "the value",
    env: { GITHUB_TOKEN: "ghp_x" },
    onEvent: (e) => events.push(e.message),
    onOutput: (t, s) => output.push(`${s}: ${t}`),
  });
  assert.equal(result.exitCode, 0);
  assert.deepEqual(result.result, { argv: ["secrets", "set", "KFP_TOKEN", "--json"], input: "the value", token: "ghp_x" });
  assert.deepEqual(events, ["half"]);
  assert.ok(output.includes("stderr: a line for people"));
});

test("Cancel sends SIGTERM and the run reports cancelled with the CLI's last line", async () => {
  const cli = fakeCli(`
    process.on("SIGTERM", () => {
      console.log(JSON.stringify({ error: { reason: "cancelled", message: "Interrupted", details: [], fix: null, exit_code: 130 } }));
      process.exit(130);
    });
    console.log(JSON.stringify({ event: { step: "s", state: "start", message: "working", link: null, time: 0 } }));
    setInterval(() => {}, 1000);`);
  let listener: () => void = () => undefined;
  const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => (listener = l) };
  const running = runCli(cli, ["push"], { cancelled: token, onEvent: () => listener() });
  const result = await running;
  assert.equal(result.cancelled, true);
  assert.equal(result.exitCode, 130);
  assert.equal(result.error?.reason, "cancelled");
});

test("a program that is not there resolves as missing, never throws", async () => {
  const result = await runCli({ command: "/nonexistent/jupyter-mlops", args: [], source: "setting" }, ["status"]);
  assert.equal(result.missing, true);
  assert.ok(result.error);
});
