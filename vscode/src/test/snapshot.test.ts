import * as assert from "node:assert/strict";
import { test } from "node:test";
import { Snapshot } from "../snapshot";

/** A load the test finishes by hand: each call to load() is one pending promise. */
function loads<T>() {
  const pending: Array<{ resolve: (v: T) => void; reject: (e: Error) => void }> = [];
  const load = () => new Promise<T>((resolve, reject) => pending.push({ resolve, reject }));
  return { pending, load };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("the first read waits for the first load, and a later read answers at once without loading", async () => {
  const { pending, load } = loads<string>();
  const notified: string[] = [];
  const snapshot = new Snapshot(load, (v) => notified.push(v));
  const first = snapshot.get();
  await tick();
  assert.equal(pending.length, 1);
  pending[0].resolve("a");
  assert.equal(await first, "a");
  assert.equal(await snapshot.get(), "a");
  assert.equal(pending.length, 1, "no second load");
  assert.deepEqual(notified, [], "the reader that asked has its answer: nothing to announce");
});

test("while a reload runs, readers keep getting the last value; the new one is announced once it is there", async () => {
  const { pending, load } = loads<string>();
  const notified: string[] = [];
  const snapshot = new Snapshot(load, (v) => notified.push(v));
  const first = snapshot.get();
  await tick();
  pending[0].resolve("old");
  await first;
  snapshot.reload();
  await tick();
  assert.equal(pending.length, 2);
  assert.equal(await snapshot.get(), "old", "the old value until the new one is loaded");
  pending[1].resolve("new");
  await tick();
  assert.deepEqual(notified, ["new"]);
  assert.equal(await snapshot.get(), "new");
});

test("reloads asked for during a load become one more load after it, not one each", async () => {
  const { pending, load } = loads<number>();
  const notified: number[] = [];
  const snapshot = new Snapshot(load, (v) => notified.push(v));
  snapshot.reload();
  await tick();
  snapshot.reload();
  snapshot.reload();
  snapshot.reload();
  assert.equal(pending.length, 1, "one load at a time");
  pending[0].resolve(1);
  await tick();
  assert.equal(pending.length, 2, "one more for the three asked during the first");
  pending[1].resolve(2);
  await tick();
  assert.equal(pending.length, 2);
  assert.deepEqual(notified, [1, 2]);
});

test("a failed load keeps the last value and a later reload tries again", async () => {
  const { pending, load } = loads<string>();
  const notified: string[] = [];
  const snapshot = new Snapshot(load, (v) => notified.push(v));
  const first = snapshot.get();
  await tick();
  pending[0].resolve("kept");
  await first;
  snapshot.reload();
  await tick();
  pending[1].reject(new Error("git is busy"));
  await tick();
  assert.equal(await snapshot.get(), "kept");
  assert.deepEqual(notified, []);
  snapshot.reload();
  await tick();
  pending[2].resolve("fresh");
  await tick();
  assert.deepEqual(notified, ["fresh"]);
});

test("a first load that fails is an error for the reader that waited, and the next read loads again", async () => {
  const { pending, load } = loads<string>();
  const snapshot = new Snapshot(load, () => undefined);
  const first = snapshot.get();
  await tick();
  pending[0].reject(new Error("no CLI"));
  await assert.rejects(first, /no CLI/);
  const second = snapshot.get();
  await tick();
  assert.equal(pending.length, 2);
  pending[1].resolve("ok");
  assert.equal(await second, "ok");
});
