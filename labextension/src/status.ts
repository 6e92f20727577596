/**
 * A project folder's status: branches and their last commits, the remote, how secrets are scoped
 * (GitHub Environments or prefixed repository secrets), and the CI preflight run locally per branch.
 */
import { Widget } from '@lumino/widgets';

import { APIError, BranchStatus, ProjectStatus, requestAPI, runJob } from './api';
import { errorBox, h, ProgressList, showError } from './dom';

const SECRETS_MODE: Record<string, string> = {
  environments: 'GitHub Environments, one per branch (secrets scoped by environment)',
  repository: 'Repository secrets prefixed with the branch name (environments not available)'
};

export class StatusPanel extends Widget {
  private readonly banner = errorBox();
  private readonly content = h('div', { class: 'jp-mlops-body' });

  constructor(private readonly path: string) {
    super();
    this.addClass('jp-mlops-Panel');
    this.addClass('jp-mlops-Status');
    this.title.label = `MLOps: ${path || '/'}`;
    this.title.closable = true;
    this.node.append(
      h('h2', {}, 'MLOps project status'),
      h('div', { class: 'jp-mlops-footer' }, h('button', { class: 'jp-mlops-button', onclick: () => void this.refresh() }, 'Refresh')),
      this.banner,
      this.content
    );
    void this.refresh();
  }

  async refresh(): Promise<void> {
    showError(this.banner, '');
    this.content.replaceChildren(h('p', { class: 'jp-mlops-loading' }, 'Reading the project…'));
    let status: ProjectStatus;
    try {
      status = await requestAPI<ProjectStatus>('status', { query: { path: this.path } });
    } catch (error) {
      this.content.replaceChildren();
      showError(this.banner, (error as Error).message, error instanceof APIError ? error.details : []);
      return;
    }
    this.content.replaceChildren(
      h(
        'dl',
        { class: 'jp-mlops-facts' },
        h('dt', {}, 'Project'),
        h('dd', {}, status.name, status.kind === 'main' ? ' (the organisation’s main repository)' : '', status.template_version ? ` — template ${status.template_version}` : ''),
        h('dt', {}, 'Folder'),
        h('dd', {}, status.path || '/'),
        h('dt', {}, 'Remote'),
        h('dd', { 'data-fact': 'remote' }, ...remoteFact(status.remote)),
        h('dt', {}, 'Secrets'),
        h('dd', { 'data-fact': 'secrets-mode' }, SECRETS_MODE[status.secrets_mode] ?? status.secrets_mode),
        h('dt', {}, 'Work tree'),
        h('dd', { 'data-fact': 'uncommitted' }, status.uncommitted.length ? `${status.uncommitted.length} uncommitted: ${status.uncommitted.slice(0, 5).join(', ')}${status.uncommitted.length > 5 ? ' …' : ''}` : 'clean')
      ),
      h(
        'table',
        { class: 'jp-mlops-branches' },
        h('thead', {}, h('tr', {}, ...['Branch', 'Last commit', 'Remote', 'CI secrets', 'Preflight'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...status.branches.map(b => this.branchRow(b, status.default_branch)))
      ),
      h('div', { class: 'jp-mlops-preflight' })
    );
  }

  private branchRow(b: BranchStatus, defaultBranch: string): HTMLElement {
    const marks = [b.name === defaultBranch && 'default', b.current && 'checked out'].filter(Boolean).join(', ');
    const commit = b.exists
      ? [h('code', {}, (b.commit ?? '').slice(0, 8)), ' ', b.subject ?? '', h('div', { class: 'jp-mlops-help' }, [b.author, b.date && new Date(b.date).toLocaleString()].filter(Boolean).join(' · '))]
      : ['missing: `jupyter mlops init` recreates it'];
    const scope = b.environment ? `environment ${b.environment}` : 'repository secrets';
    return h(
      'tr',
      { 'data-branch': b.name },
      h('th', { scope: 'row' }, b.name, marks && h('div', { class: 'jp-mlops-help' }, marks)),
      h('td', {}, ...commit),
      h('td', { 'data-fact': 'sync' }, b.remote),
      h('td', {}, b.secrets.length ? `${b.secrets.join(', ')} (${scope})` : 'none'),
      h('td', {}, h('button', { class: 'jp-mlops-button', disabled: !b.exists, onclick: (e: Event) => void this.preflight(b.name, e.target as HTMLButtonElement) }, 'Run preflight'))
    );
  }

  /** The CI preflight for one branch, run by the server (data reachable, KFP reachable, secrets present). */
  private async preflight(branch: string, button: HTMLButtonElement): Promise<void> {
    const box = this.content.querySelector('.jp-mlops-preflight') as HTMLElement;
    const progress = new ProgressList();
    const banner = errorBox();
    box.replaceChildren(h('h3', {}, `Preflight of ${branch}`), progress.root, banner);
    button.disabled = true;
    try {
      const job = await runJob('check', { path: this.path, branch }, event => progress.add(event));
      if (job.state !== 'succeeded') {
        showError(banner, job.error?.message ?? `The preflight was ${job.state}.`, job.error?.details ?? []);
      } else {
        box.append(h('p', { class: 'jp-mlops-ok' }, `${branch}: every preflight check passed.`));
      }
    } catch (error) {
      showError(banner, (error as Error).message, error instanceof APIError ? error.details : []);
    } finally {
      button.disabled = false;
    }
  }
}

function remoteFact(remote: ProjectStatus['remote']): (string | HTMLElement)[] {
  const link = (url: string, text = url) => h('a', { href: url, target: '_blank', rel: 'noopener' }, text);
  switch (remote.kind) {
    case 'github':
      return ['GitHub ', remote.web_url ? link(remote.web_url, remote.repository ?? remote.web_url) : remote.repository ?? ''];
    case 'embedded':
      return [`embedded default (local bare repository) ${remote.url ?? ''}`];
    case 'git':
      return [`git remote ${remote.url ?? ''}`];
    default:
      return ['none yet: push the project'];
  }
}
