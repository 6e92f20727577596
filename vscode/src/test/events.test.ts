import * as assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter, Line, describeError, outcome, parseLine } from "../events";

test("an event line becomes a progress event", () => {
  const line = parseLine('{"event": {"step": "git", "state": "done", "message": "Committed", "link": null, "time": 1.5}}');
  assert.deepEqual(line, { kind: "event", event: { step: "git", state: "done", message: "Committed", link: null, time: 1.5 } });
});

test("an error line keeps the CLI's reason, message, details, fix and exit code", () => {
  const line = parseLine(
    '{"error": {"reason": "invalid_input", "message": "Some settings are not valid:", "details": ["name: bad"], "fix": "use letters", "exit_code": 2}}',
  );
  assert.equal(line.kind, "error");
  if (line.kind !== "error") return;
  assert.equal(line.error.reason, "invalid_input");
  assert.equal(line.error.exit_code, 2);
  assert.equal(describeError(line.error), "Some settings are not valid: name: bad — use letters");
});

test("any other object is the verb's result, even one with a 'type' key (the schema)", () => {
  assert.deepEqual(parseLine('{"type": "object", "properties": {}}'), { kind: "result", result: { type: "object", properties: {} } });
});

test("lines that are not JSON objects are garbage, never results", () => {
  for (const text of ["hello", "[1, 2]", "42", '"text"', "null", '{"event": {"step": 1}}']) {
    assert.equal(parseLine(text).kind, "garbage", text);
  }
});

test("a line split across chunks is read once, whole; blank lines are skipped", () => {
  const seen: string[] = [];
  const splitter = new LineSplitter((l) => seen.push(l));
  splitter.push('{"event": {"step": "a", "sta');
  splitter.push('te": "done", "message": "m", "link": null, "time": 0}}\r\n\n{"ok"');
  splitter.push(": true}");
  splitter.end();
  assert.deepEqual(seen, ['{"event": {"step": "a", "state": "done", "message": "m", "link": null, "time": 0}}', '{"ok": true}']);
});

test("the outcome is the last result or error; a silent failure becomes an error from stderr", () => {
  const ev = parseLine('{"event": {"step": "s", "state": "done", "message": "m", "link": null, "time": 0}}');
  const res = parseLine('{"root": "/p"}');
  assert.deepEqual(outcome([ev, res], 0, "").result, { root: "/p" });
  assert.equal(outcome([ev, res], 0, "").events.length, 1);
  const crashed = outcome([ev] as Line[], 1, "Traceback...\nKeyError: 'x'\n");
  assert.equal(crashed.error?.reason, "failed");
  assert.match(crashed.error?.message ?? "", /KeyError: 'x'/);
});
