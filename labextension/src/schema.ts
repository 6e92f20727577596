/**
 * Reading the settings schema (GET schema: the settings table with the forms' layout in `x-` keywords) the
 * way every face does: pages from `x-groups`, each page's fields in `x-order`, a field shown only while its
 * `x-when` holds. Validation is never done here: the server's `validate` route judges the values.
 */
import type { ISettingField, ISettingsSchema, Settings } from './apitypes';

export type SchemaPage = ISettingsSchema['x-groups'][number];

/** The setting that lists the branches: per-branch pages follow it. */
export const BRANCHES = 'branches';

/** The keys on a page, in order; for a per-branch page, those of one branch (or all, branch after branch). */
export function keysOn(
  schema: ISettingsSchema,
  pageId: string,
  branch?: string
): string[] {
  const branches = schema['x-branches'];
  const place = (field: ISettingField) => [
    field['x-branch'] ? branches.indexOf(field['x-branch']) : -1,
    field['x-order']
  ];
  return Object.entries(schema.properties)
    .filter(
      ([, f]) =>
        f['x-group'] === pageId &&
        (branch === undefined || f['x-branch'] === branch)
    )
    .sort(([, a], [, b]) => {
      const [pa, pb] = [place(a), place(b)];
      return pa[0] - pb[0] || pa[1] - pb[1];
    })
    .map(([key]) => key);
}

/** Whether a field is shown (and applied): every key of its `x-when` has that value. */
export function isShown(field: ISettingField, values: Settings): boolean {
  return Object.entries(field['x-when'] ?? {}).every(
    ([key, wanted]) => !(key in values) || values[key] === wanted
  );
}

/**
 * The values to send: those of the schema's keys whose field is shown (a hidden one keeps its default), and
 * per-branch ones only for the branches listed now (the list may be edited before the schema follows it).
 */
export function applicable(
  schema: ISettingsSchema,
  values: Settings
): Settings {
  const branches = splitList(values[BRANCHES] ?? schema['x-branches']);
  const out: Settings = {};
  for (const [key, field] of Object.entries(schema.properties)) {
    const branch = field['x-branch'];
    if (
      key in values &&
      isShown(field, values) &&
      (branch === undefined || branches.includes(branch))
    ) {
      out[key] = values[key];
    }
  }
  return out;
}

/** `dev, prod` → ['dev', 'prod'] (the server judges the names). */
export function splitList(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .map(b => b.trim())
    .filter(Boolean);
}
