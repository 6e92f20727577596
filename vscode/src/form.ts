/**
 * The settings schema (`jupyter mlops schema --json`, the contract in SCHEMA_CONTRACT.md) as wizard pages.
 *
 * Pages come from `x-groups` (a per-branch group gives one page per branch), fields from `x-group`/`x-order`,
 * a field shows only while its `x-when` holds, and `x-secrets` names the CI secrets a branch may need. A
 * schema without these keys (an older CLI) still renders: per-branch keys on the platform pages, the rest on
 * the project page. Validation is never done here: the CLI's `validate` answers for every field.
 *
 * This module imports nothing: the webview loads the same compiled file, so both sides agree on visibility.
 */

export type Value = string | boolean;
export type Values = Record<string, Value>;
/** A condition on one key: a value it must equal, or `{"pattern": regex}` it must match. */
export type Expected = Value | { pattern: string };
export type Condition = Record<string, Expected>;

export interface Field {
  key: string;
  type: "string" | "boolean";
  title: string;
  description: string;
  choices?: string[];
  default?: Value;
  group: string;
  order: number;
  when?: Condition;
  branch?: string;
  setting: string;
}

export interface Page {
  id: string;
  title: string;
  description?: string;
  branch?: string;
  fields: Field[];
}

export interface SecretSpec {
  name: string;
  title: string;
  description: string;
  /** Needed when any of these holds for the branch (`x-when-any`, or the single `x-when`). */
  whenAny?: Condition[];
  optional: boolean;
}

export interface FormModel {
  branches: string[];
  pages: Page[];
  secrets: SecretSpec[];
  fields: Record<string, Field>;
}

interface SchemaGroup {
  id: string;
  title: string;
  description?: string;
  "x-per-branch"?: boolean;
}

export interface SettingsSchema {
  properties: Record<string, Record<string, unknown>>;
  "x-groups"?: SchemaGroup[];
  "x-branches"?: string[];
  "x-secrets"?: Array<Record<string, unknown>>;
}

export const DEFAULT_BRANCHES = ["development", "staging", "production"];
const FALLBACK_GROUPS: SchemaGroup[] = [
  { id: "project", title: "Project" },
  { id: "options", title: "Options" },
  { id: "platform", title: "Platform", "x-per-branch": true },
  { id: "github", title: "GitHub" },
];

function branchOf(key: string, branches: string[]): string | undefined {
  return branches.find((b) => key.startsWith(b + "."));
}

/** The wizard's pages and secrets from the schema; ``branches`` are the ones the schema was asked for. */
export function buildForm(schema: SettingsSchema, requested?: string[]): FormModel {
  const branches = schema["x-branches"]?.length ? schema["x-branches"] : requested?.length ? requested : DEFAULT_BRANCHES;
  const fields: Record<string, Field> = {};
  Object.entries(schema.properties ?? {}).forEach(([key, prop], index) => {
    const branch = typeof prop["x-branch"] === "string" ? (prop["x-branch"] as string) : branchOf(key, branches);
    const field: Field = {
      key,
      type: prop.type === "boolean" ? "boolean" : "string",
      title: String(prop.title ?? key),
      description: String(prop.description ?? ""),
      group: typeof prop["x-group"] === "string" ? (prop["x-group"] as string) : branch ? "platform" : "project",
      order: typeof prop["x-order"] === "number" ? (prop["x-order"] as number) : index,
      setting: typeof prop["x-setting"] === "string" ? (prop["x-setting"] as string) : branch ? key.slice(branch.length + 1) : key,
    };
    if (Array.isArray(prop.enum)) field.choices = prop.enum.map(String);
    if (typeof prop.default === "string" || typeof prop.default === "boolean") field.default = prop.default;
    if (prop["x-when"] && typeof prop["x-when"] === "object") field.when = prop["x-when"] as Condition;
    if (branch) field.branch = branch;
    fields[key] = field;
  });
  const groups = schema["x-groups"]?.length ? schema["x-groups"] : FALLBACK_GROUPS;
  const pages: Page[] = [];
  for (const group of groups) {
    const inGroup = Object.values(fields)
      .filter((f) => f.group === group.id)
      .sort((a, b) => a.order - b.order);
    if (group["x-per-branch"]) {
      for (const branch of branches) {
        const mine = inGroup.filter((f) => f.branch === branch);
        if (mine.length) {
          pages.push({ id: `${group.id}:${branch}`, title: `${group.title}: ${branch}`, description: group.description, branch, fields: mine });
        }
      }
    } else if (inGroup.length) {
      pages.push({ id: group.id, title: group.title, description: group.description, fields: inGroup });
    }
  }
  const secrets = (schema["x-secrets"] ?? []).map((s) => ({
    name: String(s.name),
    title: String(s.title ?? s.name),
    description: String(s.description ?? ""),
    whenAny: Array.isArray(s["x-when-any"])
      ? (s["x-when-any"] as Condition[])
      : s["x-when"] && typeof s["x-when"] === "object"
        ? [s["x-when"] as Condition]
        : undefined,
    optional: Boolean(s["x-optional"]),
  }));
  return { branches, pages, secrets, fields };
}

/** A field's value as the form shows it: what the user typed, else the schema's default. */
export function currentValue(model: FormModel, values: Values, key: string): Value | undefined {
  if (key in values) return values[key];
  return model.fields[key]?.default;
}

function holds(model: FormModel, values: Values, when: Condition | undefined, branch?: string): boolean {
  if (!when) return true;
  return Object.entries(when).every(([key, expected]) => {
    const resolved = branch ? key.replace("<branch>.", `${branch}.`) : key;
    const actual = currentValue(model, values, resolved);
    if (expected !== null && typeof expected === "object") {
      try {
        return new RegExp(expected.pattern).test(String(actual ?? ""));
      } catch {
        return false; // a pattern this engine cannot read: not shown rather than wrongly shown
      }
    }
    return String(actual) === String(expected);
  });
}

/** Whether a field shows (and is sent): its `x-when` holds for the current values. */
export function isVisible(model: FormModel, values: Values, field: Field): boolean {
  return holds(model, values, field.when);
}

/** The settings to send to the CLI: the name and every shown field the user set (init applies the defaults). */
export function settingsToSend(model: FormModel, values: Values): Values {
  const out: Values = {};
  for (const [key, value] of Object.entries(values)) {
    const field = model.fields[key];
    if (!field) continue;
    if (!isVisible(model, values, field)) continue;
    if (field.type === "string" && typeof value === "string" && value.trim() === "" && key !== "name") continue;
    out[key] = value;
  }
  return out;
}

/**
 * The secret inputs of one branch: the names the CLI's `validate` said the branch needs, then the optional
 * ones of `x-secrets` whose `x-when` holds for the branch. Titles and help come from `x-secrets`.
 */
export function secretsFor(model: FormModel, values: Values, branch: string, required: string[]): SecretSpec[] {
  const known = new Map(model.secrets.map((s) => [s.name, s]));
  const out: SecretSpec[] = required.map(
    (name) => ({ ...(known.get(name) ?? { name, title: name, description: "" }), optional: false }) as SecretSpec,
  );
  for (const s of model.secrets) {
    const applies = !s.whenAny || s.whenAny.some((when) => holds(model, values, when, branch));
    if (s.optional && !required.includes(s.name) && applies) out.push(s);
  }
  return out;
}

/** `--set key=value` arguments for init (settings are not secret: argv is fine for them). */
export function setArguments(settings: Values): string[] {
  return Object.entries(settings)
    .filter(([key]) => key !== "name")
    .flatMap(([key, value]) => ["--set", `${key}=${typeof value === "boolean" ? String(value) : value}`]);
}
