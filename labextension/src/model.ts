/**
 * The new-project wizard's state, apart from its React views (as jupyterlab-git's model.ts and
 * jupyter-scheduler's models are): the settings schema and values, the validation state, the step, the job
 * that creates the project, and `stateChanged` for the views to re-render.
 *
 * Pages come from the schema (`x-groups`), then Secrets → Review → Create. Every edit is judged by the server's
 * `validate` route, so a field shows exactly the message `jupyter mlops init` would give. The GitHub token and
 * secret values are kept apart from the settings, sent only in the push request and forgotten after it (and
 * when the panel closes).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  APIError,
  bannerOf,
  followJob,
  IBanner,
  IMlopsAPI,
  JobKind,
  jobError,
  NO_BANNER
} from './api';
import type {
  IInitPlan,
  IInitRequest,
  IPushRequest,
  ISettingField,
  ISettingsSchema,
  IValidation,
  SettingValue,
  Settings
} from './apitypes';
import { IProgressLine, linksOf, withEvent } from './progress';
import { applicable, BRANCHES, isShown, keysOn, splitList } from './schema';

export const DEFAULT_GITHUB_API = 'https://api.github.com';

export interface IStep {
  /** A schema page's id, or secrets | review | create. */
  id: string;
  title: string;
  /** The page's introduction (schema pages). */
  intro?: string;
  perBranch?: boolean;
}

export interface IWizardOptions {
  /** The file browser's folder when the wizard opened; the project folder defaults to cwd/name. */
  cwd: string;
  /** Milliseconds between an edit and its validation (so typing sends one request, not one per key). */
  validateDelayMs?: number;
  pollMs?: number;
}

const LAST_STEPS: IStep[] = [
  { id: 'secrets', title: 'Secrets' },
  { id: 'review', title: 'Review' },
  { id: 'create', title: 'Create' }
];

export class WizardModel implements IDisposable {
  constructor(
    private readonly api: IMlopsAPI,
    private readonly options: IWizardOptions
  ) {}

  // ------------------------------------------------------------------ state the views read

  schema: ISettingsSchema | null = null;
  values: Settings = {};
  folder = '';
  github = { url: DEFAULT_GITHUB_API, token: '', private: true };
  /** Secret values typed on the Secrets page, by `branch/NAME`. */
  readonly secrets = new Map<string, string>();
  /** What is wrong, by settings key (or `path`, `github_url`, `token`, `branch/NAME`). */
  errors: Record<string, string> = {};
  banner: IBanner = NO_BANNER;
  requiredSecrets: Record<string, string[]> = {};
  /** Branch → the secrets its CI passes on only when set (an MLflow server with login), from the same table. */
  optionalSecrets: Record<string, string[]> = {};
  stepIndex = 0;
  activeBranch = '';
  /** The key whose input should take the focus (the first wrong one); the view clears it. */
  focus = '';
  busy = false;
  plan: IInitPlan | null = null;
  progress: IProgressLine[] = [];
  jobId = '';
  /** Set when the project is created and pushed: the links to show. */
  done: { links: string[] } | null = null;

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The project folder exists (after init): the file browser can show it. */
  get projectCreated(): ISignal<this, string> {
    return this._projectCreated;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  get steps(): IStep[] {
    const pages = (this.schema?.['x-groups'] ?? []).map(g => ({
      id: g.id,
      title: g.title,
      intro: g.description,
      perBranch: g['x-per-branch'] === true
    }));
    return [...pages, ...LAST_STEPS];
  }

  get step(): IStep {
    return this.steps[this.stepIndex];
  }

  get branches(): string[] {
    return this.schema?.['x-branches'] ?? [];
  }

  /** A page's keys in order (for a per-branch page, one branch's). */
  keysOn(pageId: string, branch?: string): string[] {
    return this.schema ? keysOn(this.schema, pageId, branch) : [];
  }

  field(key: string): ISettingField {
    return this.schema!.properties[key];
  }

  isShown(key: string): boolean {
    return isShown(this.field(key), this.values);
  }

  /** The settings to send: the shown ones, for the branches listed now. */
  get settings(): Settings {
    return this.schema ? applicable(this.schema, this.values) : {};
  }

  // ------------------------------------------------------------------ editing

  setValue(key: string, value: SettingValue): void {
    const follows = key === 'name' && !this.folderEdited;
    this.values = { ...this.values, [key]: value };
    if (follows) {
      this.folder = joinPath(this.options.cwd, String(value));
    }
    this.scheduleValidation();
    this.changed();
  }

  setFolder(value: string): void {
    this.folder = value;
    this.folderEdited = true;
    this.errors = omit(this.errors, 'path');
    this.changed();
  }

  setGitHub(part: 'url' | 'token' | 'private', value: string | boolean): void {
    this.github = { ...this.github, [part]: value };
    this.errors = omit(this.errors, part === 'url' ? 'github_url' : part);
    this.changed();
  }

  setSecret(branch: string, name: string, value: string): void {
    this.secrets.set(`${branch}/${name}`, value);
    this.changed();
  }

  selectBranch(branch: string): void {
    this.activeBranch = branch;
    this.changed();
  }

  // ------------------------------------------------------------------ loading and validation

  /** The defaults and schema for the name and branches typed so far; values the user did not edit follow. */
  async load(): Promise<void> {
    this.busy = true;
    this.changed();
    try {
      await this.fetchDefaults();
      this.folder =
        this.folder || joinPath(this.options.cwd, String(this.values.name));
      this.focus = 'name';
    } catch (error) {
      this.fail(error);
    } finally {
      this.busy = false;
      this.changed();
    }
  }

  private async fetchDefaults(): Promise<void> {
    const name = this.values.name ? String(this.values.name) : undefined;
    const branches = this.values[BRANCHES]
      ? String(this.values[BRANCHES])
      : undefined;
    const [defaults, schema] = await Promise.all([
      this.api.defaults(name, branches),
      this.api.schema(branches)
    ]);
    const values: Settings = {};
    for (const [key, value] of Object.entries(defaults.settings)) {
      const edited =
        key in this.values && this.values[key] !== this.baseline[key];
      values[key] = edited ? this.values[key] : value;
    }
    this.values = values;
    this.baseline = { ...defaults.settings };
    this.schema = schema;
    this.requiredSecrets = defaults.required_secrets;
    this.optionalSecrets = defaults.optional_secrets ?? {};
    if (!schema['x-branches'].includes(this.activeBranch)) {
      this.activeBranch = schema['x-branches'][0] ?? '';
    }
  }

  /** Ask the server to judge every value; the latest answer is shown. */
  async validate(): Promise<IValidation> {
    window.clearTimeout(this.validateTimer);
    const seq = ++this.validateSeq;
    const verdict = await this.api.validate(this.settings);
    if (seq === this.validateSeq && !this._disposed) {
      const kept = Object.entries(this.errors).filter(
        ([key]) => !(key in (this.schema?.properties ?? {}))
      );
      this.errors = { ...Object.fromEntries(kept), ...verdict.errors };
      const loose = Object.entries(verdict.errors).filter(
        ([key]) => !(key in (this.schema?.properties ?? {}))
      );
      this.banner = loose.length
        ? {
            message: loose.map(([k, m]) => `${k}: ${m}`).join('\n'),
            details: []
          }
        : NO_BANNER;
      if (verdict.required_secrets) {
        this.requiredSecrets = verdict.required_secrets;
        this.optionalSecrets = verdict.optional_secrets ?? {};
      }
      this.changed();
    }
    return verdict;
  }

  private scheduleValidation(): void {
    window.clearTimeout(this.validateTimer);
    if (this._disposed) {
      return;
    }
    this.validateTimer = window.setTimeout(
      () => void this.validate().catch(error => this.fail(error)),
      this.options.validateDelayMs ?? 250
    );
  }

  // ------------------------------------------------------------------ navigation

  /** Leave the current step when what it asks is complete and valid; else stay with the reasons shown. */
  async next(): Promise<void> {
    if (this.busy || this.done) {
      return;
    }
    this.busy = true;
    this.banner = NO_BANNER;
    this.changed();
    try {
      if (this.step.id === 'create') {
        await this.create(); // again, after a failure or a cancel: finished steps are not repeated
      } else if (await this.leave()) {
        await this.enter(this.stepIndex + 1);
      }
    } catch (error) {
      this.place(error);
    } finally {
      this.busy = false;
      this.changed();
    }
  }

  back(): void {
    if (!this.busy && this.stepIndex > 0 && !this.done) {
      this.stepIndex -= 1;
      this.banner = NO_BANNER;
      this.changed();
    }
  }

  private async leave(): Promise<boolean> {
    const step = this.step;
    if (step.id === 'secrets' || step.id === 'review') {
      return true;
    }
    const verdict = await this.validate();
    const first = this.onFirstPage(step);
    const errors = { ...this.errors };
    if (first && !this.folder.trim()) {
      errors.path =
        'the folder is empty: give a path relative to the Jupyter root, e.g. wine-quality';
    }
    const url = this.github.url.trim();
    if (
      step.id === 'github' &&
      url &&
      !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)
    ) {
      errors.github_url = `${JSON.stringify(url)} is not an http(s) URL; e.g. ${DEFAULT_GITHUB_API} or https://HOST/api/v3`;
    }
    this.errors = errors;
    const own = [first && 'path', step.id === 'github' && 'github_url'];
    const bad =
      this.keysOn(step.id).find(k => this.isShown(k) && verdict.errors[k]) ??
      own.find(k => k && errors[k]);
    if (bad) {
      this.focus = bad;
      this.activeBranch =
        this.schema?.properties[bad]?.['x-branch'] ?? this.activeBranch;
      return false;
    }
    if (first && this.reshaped()) {
      await this.fetchDefaults();
    }
    return true;
  }

  private onFirstPage(step: IStep): boolean {
    return step.id === this.steps[0].id;
  }

  /** The branch list or the name changed: per-branch pages and derived defaults follow. */
  private reshaped(): boolean {
    return (
      splitList(this.values[BRANCHES]).join(',') !== this.branches.join(',') ||
      this.values.name !== this.baseline.name
    );
  }

  private async enter(index: number): Promise<void> {
    const id = this.steps[index]?.id;
    if (id === 'review') {
      this.plan = await this.api.plan(this.initRequest());
    }
    this.stepIndex = index;
    this.changed();
    if (id === 'create') {
      await this.create();
    }
  }

  // ------------------------------------------------------------------ creating

  initRequest(): IInitRequest {
    return {
      path: this.folder.trim(),
      name: String(this.values.name),
      settings: this.settings
    };
  }

  pushRequest(): IPushRequest {
    const owner = String(this.values.owner ?? '');
    const request: IPushRequest = {
      path: this.folder.trim(),
      owner,
      private: this.github.private
    };
    if (owner) {
      request.github_url = this.github.url.trim() || DEFAULT_GITHUB_API;
      if (this.github.token) {
        request.token = this.github.token;
      }
      const secrets: Record<string, Record<string, string>> = {};
      for (const [key, value] of this.secrets) {
        const [branch, name] = key.split('/');
        if (value && this.secretNames(branch).includes(name)) {
          (secrets[branch] ??= {})[name] = value;
        }
      }
      if (Object.keys(secrets).length) {
        request.secrets = secrets;
      }
    }
    return request;
  }

  /** The secrets offered for a branch: those its CI needs, then those it passes on only when set. */
  secretNames(branch: string): string[] {
    return [
      ...(this.requiredSecrets[branch] ?? []),
      ...(this.optionalSecrets[branch] ?? [])
    ];
  }

  /** init, then push; each job's events are the progress. A failure is shown where it belongs. */
  private async create(): Promise<void> {
    this.progress = [];
    if (!(await this.follow('init', this.initRequest()))) {
      return;
    }
    this._projectCreated.emit(this.folder.trim());
    const push = await this.follow('push', this.pushRequest());
    if (!push) {
      return;
    }
    this.forgetCredentials();
    this.done = { links: unique([...linksOf(this.progress), ...urlsIn(push)]) };
  }

  private async follow(kind: JobKind, body: object): Promise<object | null> {
    const job = await followJob(
      this.api,
      kind,
      body,
      event => {
        this.progress = withEvent(this.progress, kind, event);
        this.changed();
      },
      id => {
        this.jobId = id;
        this.changed();
      },
      this.options.pollMs
    );
    this.jobId = '';
    if (job.state === 'succeeded') {
      return job.result ?? {};
    }
    this.place(jobError(job));
    return null;
  }

  async cancel(): Promise<void> {
    if (this.jobId) {
      await this.api.cancel(this.jobId).catch(error => this.fail(error));
    }
  }

  // ------------------------------------------------------------------ errors where they belong

  /** Show an error next to what it is about (the folder, a setting, the token), and in the banner. */
  place(error: unknown): void {
    if (!(error instanceof APIError)) {
      this.fail(error);
      return;
    }
    if (error.reason === 'invalid_path') {
      this.stepIndex = 0;
      this.errors = { ...this.errors, path: error.message };
      this.focus = 'path';
      this.changed();
      return;
    }
    const errors = { ...this.errors };
    if (error.reason === 'unauthenticated' || error.reason === 'forbidden') {
      errors.token = error.message;
    }
    for (const detail of error.details) {
      const [key, ...rest] = detail.split(': ');
      if (this.schema && key in this.schema.properties) {
        errors[key] = rest.join(': ');
      }
    }
    this.errors = errors;
    this.banner = { message: error.message, details: error.details };
    this.changed();
  }

  private fail(error: unknown): void {
    this.banner = bannerOf(error);
    this.changed();
  }

  forgetCredentials(): void {
    this.github = { ...this.github, token: '' };
    this.secrets.clear();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearTimeout(this.validateTimer);
    this.forgetCredentials();
    Signal.clearData(this);
  }

  private changed(): void {
    if (!this._disposed) {
      this._stateChanged.emit();
    }
  }

  private baseline: Settings = {};
  private folderEdited = false;
  private validateTimer = 0;
  private validateSeq = 0;
  private _disposed = false;
  private readonly _stateChanged = new Signal<this, void>(this);
  private readonly _projectCreated = new Signal<this, string>(this);
}

function joinPath(folder: string, name: string): string {
  return [folder.replace(/\/+$/, ''), name].filter(Boolean).join('/');
}

function omit(
  errors: Record<string, string>,
  key: string
): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).filter(([k]) => k !== key));
}

function unique(items: string[]): string[] {
  return items.filter((item, i) => items.indexOf(item) === i);
}

/** URLs in a job result (the repository's page, environment pages, a run's link). */
export function urlsIn(value: unknown): string[] {
  if (typeof value === 'string') {
    return /^https?:\/\//.test(value) ? [value] : [];
  }
  if (value && typeof value === 'object') {
    return Object.values(value).flatMap(urlsIn);
  }
  return [];
}
