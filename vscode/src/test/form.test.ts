import * as assert from "node:assert/strict";
import { test } from "node:test";
import { SettingsSchema, buildForm, isVisible, secretsFor, setArguments, settingsToSend } from "../form";

// A schema shaped as SCHEMA_CONTRACT.md says `jupyter mlops schema --json` prints it (a small table).
const prop = (extra: Record<string, unknown>) => ({ type: "string", title: "T", description: "D", ...extra });
const CONTRACT: SettingsSchema = {
  properties: {
    name: prop({ title: "Project name", "x-group": "project", "x-order": 10, default: "ml-project" }),
    description: prop({ "x-group": "project", "x-order": 20 }),
    containers: { type: "boolean", title: "Container steps", description: "", default: false, "x-group": "options", "x-order": 20 },
    registry: prop({ "x-group": "options", "x-order": 30, "x-when": { containers: true } }),
    "data.dvc": { type: "boolean", title: "DVC", description: "", default: false, "x-group": "options", "x-order": 10 },
    owner: prop({ "x-group": "github", "x-order": 10 }),
    "development.kfp.auth": prop({ enum: ["none", "token", "dex"], default: "none", "x-group": "platform", "x-order": 20, "x-branch": "development", "x-setting": "kfp.auth" }),
    "development.kfp.host": prop({ "x-group": "platform", "x-order": 10, "x-branch": "development", "x-setting": "kfp.host" }),
    "staging.kfp.auth": prop({ enum: ["none", "token", "dex"], default: "dex", "x-group": "platform", "x-order": 20, "x-branch": "staging", "x-setting": "kfp.auth" }),
    "staging.kfp.host": prop({ "x-group": "platform", "x-order": 10, "x-branch": "staging", "x-setting": "kfp.host" }),
    "development.mlflow.uri": prop({ default: "", "x-group": "platform", "x-order": 30, "x-branch": "development" }),
    "staging.mlflow.uri": prop({ default: "", "x-group": "platform", "x-order": 30, "x-branch": "staging" }),
  },
  "x-branches": ["development", "staging"],
  "x-groups": [
    { id: "project", title: "Project", description: "The repository" },
    { id: "options", title: "Options" },
    { id: "platform", title: "Platform", "x-per-branch": true },
    { id: "github", title: "GitHub" },
  ],
  "x-secrets": [
    { name: "KFP_TOKEN", title: "Kubeflow token", description: "bearer", "x-when": { "<branch>.kfp.auth": "token" }, "x-optional": false },
    {
      name: "MLFLOW_TRACKING_TOKEN",
      title: "MLflow token",
      description: "login",
      "x-when-any": [{ "<branch>.mlflow.uri": { pattern: "." } }],
      "x-optional": true,
    },
  ],
};

test("pages follow x-groups, one platform page per branch (x-branches), fields in x-order", () => {
  const model = buildForm(CONTRACT);
  assert.deepEqual(model.branches, ["development", "staging"]);
  assert.equal(model.pages[0].description, "The repository");
  assert.deepEqual(model.pages.map((p) => p.id), ["project", "options", "platform:development", "platform:staging", "github"]);
  assert.deepEqual(model.pages[1].fields.map((f) => f.key), ["data.dvc", "containers", "registry"]);
  assert.deepEqual(model.pages[2].fields.map((f) => f.key), ["development.kfp.host", "development.kfp.auth", "development.mlflow.uri"]);
  assert.equal(model.pages[3].title, "Platform: staging");
  assert.deepEqual(model.fields["staging.kfp.auth"].choices, ["none", "token", "dex"]);
});

test("a field shows only while its x-when holds, and hidden fields are not sent", () => {
  const model = buildForm(CONTRACT, ["development", "staging"]);
  const registry = model.fields.registry;
  assert.equal(isVisible(model, {}, registry), false, "containers defaults to false");
  assert.equal(isVisible(model, { containers: true }, registry), true);
  assert.deepEqual(settingsToSend(model, { name: "wine", registry: "ghcr.io", description: "" }), { name: "wine" });
  assert.deepEqual(settingsToSend(model, { name: "wine", containers: true, registry: "ghcr.io" }), {
    name: "wine",
    containers: true,
    registry: "ghcr.io",
  });
});

test("secrets: the CLI's required names first, then optional ones whose x-when holds for the branch", () => {
  const model = buildForm(CONTRACT, ["development", "staging"]);
  const dev = secretsFor(model, { "development.mlflow.uri": "http://mlflow:5000" }, "development", ["KFP_TOKEN"]);
  assert.deepEqual(dev.map((s) => [s.name, s.title, s.optional]), [
    ["KFP_TOKEN", "Kubeflow token", false],
    ["MLFLOW_TRACKING_TOKEN", "MLflow token", true],
  ]);
  const staging = secretsFor(model, {}, "staging", ["KFP_USERNAME", "KFP_PASSWORD"]);
  assert.deepEqual(staging.map((s) => s.name), ["KFP_USERNAME", "KFP_PASSWORD"], "no MLflow URI: no MLflow login");
});

test("a schema without the x- keys (an older CLI) still renders: branch keys on platform pages", () => {
  const old: SettingsSchema = {
    properties: {
      name: prop({}),
      "data.dvc": { type: "boolean", title: "DVC", description: "" },
      "development.schedule": prop({}),
      "production.kfp.host": prop({}),
    },
  };
  const model = buildForm(old, ["development", "production"]);
  assert.deepEqual(model.pages.map((p) => [p.id, p.fields.map((f) => f.key)]), [
    ["project", ["name", "data.dvc"]],
    ["platform:development", ["development.schedule"]],
    ["platform:production", ["production.kfp.host"]],
  ]);
  assert.equal(model.fields["development.schedule"].setting, "schedule");
});

test("settings become --set arguments; the name goes by --name", () => {
  assert.deepEqual(setArguments({ name: "wine", containers: true, "staging.kfp.host": "https://k/p" }), [
    "--set",
    "containers=true",
    "--set",
    "staging.kfp.host=https://k/p",
  ]);
});

test("a condition may be a pattern: {pattern} matches the current value", () => {
  const schema: SettingsSchema = {
    properties: {
      containers: { type: "boolean", title: "C", description: "", default: true },
      registry: prop({ default: "ghcr.io" }),
      note: prop({ "x-when": { containers: true, registry: { pattern: "^(?!ghcr\\.io(/|$))." } } }),
    },
  };
  const model = buildForm(schema);
  assert.equal(isVisible(model, {}, model.fields.note), false, "ghcr.io needs no registry login");
  assert.equal(isVisible(model, { registry: "registry.example.org/ml" }, model.fields.note), true);
  assert.equal(isVisible(model, { registry: "registry.example.org/ml", containers: false }, model.fields.note), false);
});
