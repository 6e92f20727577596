/**
 * The new-project wizard: Project → Platform → GitHub → Secrets → Review → Create.
 *
 * Fields, labels, help and defaults come from the server (defaults + schema routes: the same settings
 * table the CLI uses); every edit is checked by the validate route, so a field shows exactly the
 * message `jupyter mlops init` would give. Tokens and secret values live only in this panel's inputs
 * and the request that uses them; they are cleared once the push has run.
 */
import { PathExt } from '@jupyterlab/coreutils';
import { Widget } from '@lumino/widgets';

import {
  APIError,
  cancelJob,
  Defaults,
  InitPlan,
  Job,
  requestAPI,
  runJob,
  SchemaProperty,
  SecretsByBranch,
  Settings,
  SettingsSchema,
  Validation
} from './api';
import { errorBox, Field, h, ProgressList, showError } from './dom';

export interface WizardOptions {
  /** The file browser's folder when the wizard was opened; the project folder defaults to cwd/name. */
  cwd: string;
  openFolder: (path: string) => void;
  openStatus: (path: string) => void;
  /** Called once the project folder exists, so the file browser shows it. */
  refresh: () => void;
}

const STEPS = ['Project', 'Platform', 'GitHub', 'Secrets', 'Review', 'Create'];
const PROJECT_KEYS = ['name', 'description', 'python', 'license', 'example', 'branches'];
const DEFAULT_GITHUB_API = 'https://api.github.com';
const GITHUB_URL_HELP = 'GitHub API URL; for GitHub Enterprise https://HOST/api/v3';

const splitBranches = (value: unknown): string[] =>
  String(value ?? '')
    .split(',')
    .map(b => b.trim())
    .filter(Boolean);

export class WizardPanel extends Widget {
  private step = 0;
  private values: Settings = {};
  private baseline: Settings = {};
  private schema: SettingsSchema = { properties: {} };
  private branches: string[] = [];
  private requiredSecrets: SecretsByBranch = {};
  private readonly fields = new Map<string, Field>();
  private readonly secretFields = new Map<string, Field>();
  private folder!: Field;
  private folderEdited = false;
  private githubUrl!: Field;
  private token!: Field;
  private privateRepo!: Field;
  private validateTimer = 0;
  private validateSeq = 0;
  private jobId = '';
  private busy = false;

  private readonly stepList = h('ol', { class: 'jp-mlops-steps' });
  private readonly body = h('div', { class: 'jp-mlops-body' });
  private readonly banner = errorBox();
  private readonly backButton = h('button', { class: 'jp-mlops-button', onclick: () => this.go(this.step - 1) }, 'Back');
  private readonly nextButton = h('button', { class: 'jp-mlops-button jp-mod-accept', onclick: () => void this.next() }, 'Next');
  private readonly cancelButton = h('button', { class: 'jp-mlops-button jp-mod-warn', hidden: true, onclick: () => void this.cancel() }, 'Cancel');
  private readonly pages: HTMLElement[] = STEPS.map(s => h('section', { class: 'jp-mlops-page', 'data-step': s.toLowerCase() }));

  constructor(private readonly options: WizardOptions) {
    super();
    this.addClass('jp-mlops-Panel');
    this.addClass('jp-mlops-Wizard');
    this.title.label = 'New MLOps project';
    this.title.closable = true;
    STEPS.forEach((s, i) => this.stepList.append(h('li', { 'data-index': i }, h('span', {}, String(i + 1)), ' ', s)));
    this.body.append(...this.pages);
    this.node.append(
      h('h2', {}, 'New MLOps project'),
      this.stepList,
      this.banner,
      this.body,
      h('div', { class: 'jp-mlops-footer' }, this.backButton, this.cancelButton, this.nextButton)
    );
    this.pages[0].append(h('p', { class: 'jp-mlops-loading' }, 'Loading the defaults…'));
    this.render();
    void this.load();
  }

  dispose(): void {
    window.clearTimeout(this.validateTimer);
    this.forgetCredentials();
    super.dispose();
  }

  // ------------------------------------------------------------------ loading defaults

  private async load(): Promise<void> {
    this.busy = true;
    this.render();
    try {
      await this.fetchDefaults();
      this.buildProjectPage();
      this.buildGitHubPage();
      this.buildPlatformPage();
    } catch (error) {
      this.pages[0].replaceChildren();
      this.fail(error);
      return;
    } finally {
      this.busy = false;
    }
    this.render();
    this.fields.get('name')?.input.focus();
  }

  /** Defaults and schema for the current name and branches; values the user did not change follow them. */
  private async fetchDefaults(): Promise<void> {
    const name = this.values.name ? String(this.values.name) : undefined;
    const branches = this.values.branches ? String(this.values.branches) : undefined;
    const [defaults, schema] = await Promise.all([
      requestAPI<Defaults>('defaults', { query: { name, branches } }),
      requestAPI<SettingsSchema>('schema', { query: { branches } })
    ]);
    const values: Settings = {};
    for (const [key, value] of Object.entries(defaults.settings)) {
      const edited = key in this.values && this.values[key] !== this.baseline[key];
      values[key] = edited ? this.values[key] : value;
    }
    this.values = values;
    this.baseline = { ...defaults.settings };
    this.schema = schema;
    this.branches = defaults.branches;
    this.requiredSecrets = defaults.required_secrets;
  }

  private prop(key: string): SchemaProperty {
    const branchKey = key.includes('.') ? key.slice(this.branchOf(key).length + 1) : key;
    return this.schema.properties[key] ?? this.schema.properties[branchKey] ?? { type: 'string', title: key };
  }

  private branchOf(key: string): string {
    return this.branches.find(b => key.startsWith(`${b}.`)) ?? '';
  }

  private settingField(key: string): Field {
    const field = new Field(key, this.prop(key), undefined, () => this.edited(key, field));
    field.value = this.values[key] ?? '';
    this.fields.set(key, field);
    return field;
  }

  private buildProjectPage(): void {
    const page = this.pages[0];
    page.replaceChildren(h('p', { class: 'jp-mlops-intro' }, 'A repository with the team’s layout, three branches and CI/CD that runs your Kubeflow pipeline.'));
    for (const key of PROJECT_KEYS) {
      page.append(this.settingField(key).root);
      if (key === 'name') {
        this.folder = new Field('path', { type: 'string', title: 'Folder', description: 'Where the project is created, relative to the Jupyter root' }, 'text', () => {
          this.folderEdited = true;
          this.folder.error = '';
        });
        this.folder.value = this.defaultFolder();
        page.append(this.folder.root);
      }
    }
  }

  private buildPlatformPage(): void {
    const page = this.pages[1];
    for (const key of [...this.fields.keys()].filter(k => this.branchOf(k))) {
      this.fields.delete(key);
    }
    const tabs = h('div', { class: 'jp-mlops-tabs', role: 'tablist' });
    const panels = this.branches.map((branch, i) => {
      const panel = h('fieldset', { class: 'jp-mlops-branch', 'data-branch': branch, hidden: i > 0 }, h('legend', {}, `Branch ${branch}`));
      for (const key of Object.keys(this.values).filter(k => this.branchOf(k) === branch)) {
        panel.append(this.settingField(key).root);
      }
      tabs.append(
        h('button', { class: 'jp-mlops-tab', role: 'tab', 'aria-selected': String(i === 0), 'data-branch': branch, onclick: () => this.showBranch(branch) }, branch)
      );
      return panel;
    });
    page.replaceChildren(
      h('p', { class: 'jp-mlops-intro' }, 'Where each branch’s pipeline runs. Credentials are not asked here: they become GitHub secrets on the Secrets step.'),
      tabs,
      ...panels
    );
  }

  private showBranch(branch: string): void {
    this.pages[1].querySelectorAll<HTMLElement>('[data-branch]').forEach(el => {
      if (el.tagName === 'BUTTON') {
        el.setAttribute('aria-selected', String(el.dataset.branch === branch));
      } else {
        el.hidden = el.dataset.branch !== branch;
      }
    });
  }

  private buildGitHubPage(): void {
    this.githubUrl = new Field('github_url', { type: 'string', title: 'GitHub API URL', description: GITHUB_URL_HELP }, 'text', () => (this.githubUrl.error = ''));
    this.githubUrl.value = DEFAULT_GITHUB_API;
    this.token = new Field(
      'token',
      { type: 'string', title: 'GitHub token', description: 'Needs repo and workflow scopes; used for this push only and never stored. Empty: the server’s GITHUB_TOKEN.' },
      'password',
      () => (this.token.error = '')
    );
    this.privateRepo = new Field('private', { type: 'boolean', title: 'Private repository' }, 'checkbox');
    this.privateRepo.value = true;
    this.pages[2].replaceChildren(
      h('p', { class: 'jp-mlops-intro' }, 'The repository is created under this owner, with one GitHub Environment per branch. Leave the owner empty to push to a local git remote instead.'),
      this.settingField('owner').root,
      this.githubUrl.root,
      this.token.root,
      this.privateRepo.root
    );
  }

  private buildSecretsPage(): void {
    const page = this.pages[3];
    const owner = String(this.values.owner ?? '');
    const previous = new Map([...this.secretFields].map(([k, f]) => [k, f.value]));
    this.secretFields.clear();
    page.replaceChildren();
    if (!owner) {
      page.append(h('p', { class: 'jp-mlops-intro' }, 'No GitHub owner: the project is pushed to a local remote, where there are no secrets to set. Set them later with `jupyter mlops secrets set NAME --env BRANCH`.'));
      return;
    }
    page.append(h('p', { class: 'jp-mlops-intro' }, 'Each branch’s CI reads these from its GitHub Environment. They are encrypted for GitHub during the push and never stored here; leave one empty to set it later.'));
    for (const branch of this.branches) {
      const names = this.requiredSecrets[branch] ?? [];
      const box = h('fieldset', { class: 'jp-mlops-branch', 'data-branch': branch }, h('legend', {}, `Environment ${branch}`));
      if (!names.length) {
        box.append(h('p', { class: 'jp-mlops-help' }, 'No secrets needed with these settings.'));
      }
      for (const name of names) {
        const field = new Field(`${branch}/${name}`, { type: 'string', title: name }, 'password');
        field.value = previous.get(`${branch}/${name}`) ?? '';
        this.secretFields.set(`${branch}/${name}`, field);
        box.append(field.root);
      }
      page.append(box);
    }
  }

  // ------------------------------------------------------------------ editing and validation

  private defaultFolder(): string {
    return PathExt.join(this.options.cwd, String(this.values.name ?? ''));
  }

  private edited(key: string, field: Field): void {
    this.values[key] = field.value;
    if (key === 'name' && !this.folderEdited) {
      this.folder.value = this.defaultFolder();
    }
    window.clearTimeout(this.validateTimer);
    this.validateTimer = window.setTimeout(() => void this.validate().catch(error => this.fail(error)), 250);
  }

  /** The settings that belong to the current branch list (a removed branch's keys would be refused). */
  private currentSettings(): Settings {
    const branches = splitBranches(this.values.branches);
    const out: Settings = {};
    for (const [key, value] of Object.entries(this.values)) {
      if (!key.includes('.') || branches.some(b => key.startsWith(`${b}.`))) {
        out[key] = value;
      }
    }
    return out;
  }

  private async validate(): Promise<Validation> {
    window.clearTimeout(this.validateTimer);
    const seq = ++this.validateSeq;
    const verdict = await requestAPI<Validation>('validate', { method: 'POST', body: { settings: this.currentSettings() } });
    if (seq === this.validateSeq) {
      for (const [key, field] of this.fields) {
        field.error = verdict.errors[key] ?? '';
      }
      const loose = Object.entries(verdict.errors).filter(([key]) => !this.fields.has(key));
      showError(this.banner, loose.map(([key, message]) => `${key}: ${message}`).join('\n'));
      if (verdict.required_secrets) {
        this.requiredSecrets = verdict.required_secrets;
      }
    }
    return verdict;
  }

  /** The first field of `keys` with an error, after a fresh validation. */
  private async firstInvalid(keys: string[]): Promise<Field | undefined> {
    const verdict = await this.validate();
    const bad = keys.find(k => verdict.errors[k]);
    return bad ? this.fields.get(bad) : undefined;
  }

  // ------------------------------------------------------------------ navigation

  private async next(): Promise<void> {
    if (this.busy) {
      return;
    }
    this.busy = true;
    this.render();
    try {
      if (await this.leave(this.step)) {
        await this.enter(this.step + 1);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private go(step: number, force = false): void {
    if ((force || !this.busy) && step >= 0) {
      this.step = step;
      showError(this.banner, '');
      this.render();
    }
  }

  /** Check the step being left; false keeps the user on it with the reasons shown. */
  private async leave(step: number): Promise<boolean> {
    switch (STEPS[step]) {
      case 'Project': {
        const bad = await this.firstInvalid(PROJECT_KEYS);
        if (!String(this.folder.value).trim()) {
          this.folder.error = 'the folder is empty: give a path relative to the Jupyter root, e.g. wine-quality';
        }
        if (bad || this.folder.error) {
          (bad ?? this.folder).input.focus();
          return false;
        }
        const names = splitBranches(this.values.branches);
        if (names.join(',') !== this.branches.join(',') || this.values.name !== this.baseline.name) {
          await this.fetchDefaults();
          this.buildPlatformPage();
        }
        return true;
      }
      case 'Platform': {
        const bad = await this.firstInvalid([...this.fields.keys()].filter(k => this.branchOf(k)));
        if (bad) {
          this.showBranch(this.branchOf(bad.key));
          bad.input.focus();
          return false;
        }
        return true;
      }
      case 'GitHub': {
        const bad = await this.firstInvalid(['owner']);
        const url = String(this.githubUrl.value).trim();
        if (url && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
          this.githubUrl.error = `${JSON.stringify(url)} is not an http(s) URL; e.g. ${DEFAULT_GITHUB_API} or https://HOST/api/v3`;
        }
        if (bad || this.githubUrl.error) {
          (bad ?? this.githubUrl).input.focus();
          return false;
        }
        return true;
      }
      default:
        return true;
    }
  }

  private async enter(step: number): Promise<void> {
    if (STEPS[step] === 'Secrets') {
      this.buildSecretsPage();
    } else if (STEPS[step] === 'Review') {
      const plan = await this.plan();
      if (!plan) {
        return;
      }
    }
    this.step = step;
    showError(this.banner, '');
    this.render();
    if (STEPS[step] === 'Create') {
      await this.create();
    }
  }

  private initRequest() {
    return { path: String(this.folder.value).trim(), name: String(this.values.name), settings: this.currentSettings() };
  }

  private async plan(): Promise<InitPlan | undefined> {
    let plan: InitPlan;
    try {
      plan = await requestAPI<InitPlan>('plan', { method: 'POST', body: this.initRequest() });
    } catch (error) {
      this.place(error);
      return undefined;
    }
    const owner = String(this.values.owner ?? '');
    const secretNames = [...this.secretFields].filter(([, f]) => f.value).map(([k]) => k.replace('/', ': '));
    const push = owner
      ? [
          `Create the ${this.privateRepo.value ? 'private' : 'public'} repository ${owner}/${this.values.name} on ${this.githubUrl.value || DEFAULT_GITHUB_API} and push ${this.branches.join(', ')}`,
          `Create the environments ${this.branches.join(', ')}`,
          secretNames.length ? `Set the secrets ${secretNames.join(', ')}` : 'Set no secrets now'
        ]
      : ['Push every branch to a local git remote (no GitHub owner given)'];
    const count = (action: string) => plan.files.filter(f => f.action === action).length;
    const files = [
      `${count('create')} files to create`,
      count('unchanged') && `${count('unchanged')} already as generated`,
      count('kept') && `${count('kept')} of yours kept as they are`
    ].filter(Boolean);
    const summary = [
      `${plan.path || 'The Jupyter root'}: ${plan.mode === 'new' ? 'a new project' : plan.mode === 'adopt' ? 'your folder becomes a project' : 'complete the existing project'}`,
      plan.git_init && `git init (default branch ${plan.default_branch})`,
      files.join(', '),
      plan.commit && `Commit “${plan.commit}” on ${plan.default_branch}`,
      plan.branches.create.length && `Create the branches ${plan.branches.create.join(', ')}`,
      plan.nothing_to_do && 'Nothing to change: the project is complete'
    ].filter(Boolean) as string[];
    this.pages[4].replaceChildren(
      h('h3', {}, 'The repository'),
      h('ul', { class: 'jp-mlops-plan' }, ...summary.map(line => h('li', {}, line))),
      h('details', {}, h('summary', {}, 'The whole plan'), h('ul', { class: 'jp-mlops-files' }, ...plan.describe.map(line => h('li', {}, line)))),
      h('h3', {}, 'Then'),
      h('ul', { class: 'jp-mlops-plan' }, ...push.map(line => h('li', {}, line)))
    );
    return plan;
  }

  // ------------------------------------------------------------------ creating

  private pushRequest() {
    const secrets: Record<string, Record<string, string>> = {};
    for (const [key, field] of this.secretFields) {
      const [branch, name] = key.split('/');
      if (field.value) {
        (secrets[branch] ??= {})[name] = String(field.value);
      }
    }
    const owner = String(this.values.owner ?? '');
    const request: Record<string, unknown> = { path: String(this.folder.value).trim(), owner, private: this.privateRepo.value === true };
    if (owner) {
      request.github_url = String(this.githubUrl.value).trim() || DEFAULT_GITHUB_API;
      if (this.token.value) {
        request.token = String(this.token.value);
      }
      if (Object.keys(secrets).length) {
        request.secrets = secrets;
      }
    }
    return request;
  }

  private async create(): Promise<void> {
    const page = this.pages[5];
    const progress = new ProgressList();
    const result = h('div', { class: 'jp-mlops-result' });
    page.replaceChildren(progress.root, result);
    this.busy = true;
    this.render();
    try {
      const init = await this.follow('init', this.initRequest(), progress);
      if (!init) {
        return;
      }
      this.options.refresh();
      const push = await this.follow('push', this.pushRequest(), progress);
      if (!push) {
        return;
      }
      this.forgetCredentials();
      const path = String(this.folder.value).trim();
      const links = [...progress.links, ...resultLinks(push.result)].filter((l, i, all) => all.indexOf(l) === i);
      result.replaceChildren(
        h('h3', {}, `${this.values.name} is ready`),
        h('ul', { class: 'jp-mlops-links' }, ...links.map(l => h('li', {}, l.endsWith('.git') ? 'Clone: ' : 'Repository: ', h('a', { href: l, target: '_blank', rel: 'noopener' }, l)))),
        h('button', { class: 'jp-mlops-button', onclick: () => this.options.openFolder(path) }, 'Open the folder'),
        h('button', { class: 'jp-mlops-button', onclick: () => this.options.openStatus(path) }, 'Project status')
      );
      this.step = STEPS.length; // done: no Back/Next
    } catch (error) {
      this.place(error);
    } finally {
      this.busy = false;
      this.jobId = '';
      this.render();
    }
  }

  /** Run one job with its events in `progress`; on failure show the server's message and return undefined. */
  private async follow(kind: string, body: unknown, progress: ProgressList): Promise<Job | undefined> {
    const job = await runJob(kind, body, event => progress.add(event, `${kind}:`), id => {
      this.jobId = id;
      this.render();
    });
    this.jobId = '';
    if (job.state === 'succeeded') {
      return job;
    }
    const error = job.error ?? { message: `The ${kind} job was ${job.state}.`, reason: job.state };
    this.place(new APIError(error.message, error.reason, 200, error.details ?? []));
    return undefined;
  }

  private async cancel(): Promise<void> {
    if (this.jobId) {
      this.cancelButton.disabled = true;
      await cancelJob(this.jobId).catch(error => this.fail(error));
    }
  }

  private forgetCredentials(): void {
    this.token && (this.token.value = '');
    this.secretFields.forEach(f => (f.value = ''));
  }

  // ------------------------------------------------------------------ errors where they belong

  /** Show an error next to the field it is about (the folder, a setting, the token), else in the banner. */
  private place(error: unknown): void {
    if (!(error instanceof APIError)) {
      this.fail(error);
      return;
    }
    if (error.reason === 'invalid_path') {
      this.go(0, true);
      this.folder.error = error.message;
      this.folder.input.focus();
      return;
    }
    if (error.reason === 'unauthenticated' || error.reason === 'forbidden') {
      this.token.error = error.message;
    }
    const fieldDetails = error.details.filter(d => this.fields.has(d.split(': ')[0]));
    for (const detail of fieldDetails) {
      const [key, ...rest] = detail.split(': ');
      this.fields.get(key)!.error = rest.join(': ');
    }
    showError(this.banner, error.message, error.details);
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    showError(this.banner, message, error instanceof APIError ? error.details : []);
  }

  // ------------------------------------------------------------------ rendering

  private render(): void {
    const done = this.step >= STEPS.length;
    this.pages.forEach((page, i) => (page.hidden = i !== Math.min(this.step, STEPS.length - 1)));
    this.stepList.querySelectorAll('li').forEach((li, i) => {
      li.classList.toggle('jp-mod-current', i === this.step);
      li.classList.toggle('jp-mod-done', i < this.step);
      if (i === this.step) {
        li.setAttribute('aria-current', 'step');
      } else {
        li.removeAttribute('aria-current');
      }
    });
    const creating = STEPS[this.step] === 'Create';
    this.backButton.hidden = this.step === 0 || done;
    this.backButton.disabled = this.busy;
    this.nextButton.hidden = creating || done;
    this.nextButton.disabled = this.busy || !this.fields.size;
    this.nextButton.textContent = STEPS[this.step] === 'Review' ? 'Create' : 'Next';
    this.cancelButton.hidden = !this.jobId;
    this.cancelButton.disabled = false;
  }
}

/** URLs in a job result (the repository's html_url, environment pages, a run's link). */
function resultLinks(result: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string' && /^https?:\/\//.test(value)) {
      found.push(value);
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(walk);
    }
  };
  walk(result);
  return found;
}
