/**
 * A project folder's status: branches and their last commits, the remote, how secrets are scoped
 * (GitHub Environments or prefixed repository secrets), and the CI preflight run locally per branch.
 */
import { Widget } from '@lumino/widgets';

import { APIError, ProjectStatus, requestAPI, runJob } from './api';
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
    const rows = status.branches.map(b =>
      h(
        'tr',
        { 'data-branch': b.name },
        h('th', { scope: 'row' }, b.name, b.name === status.default_branch ? ' (default)' : '', b.name === status.current_branch ? ' — checked out' : ''),
        h('td', {}, h('code', {}, (b.commit ?? '').slice(0, 8))),
        h('td', {}, b.summary ?? ''),
        h('td', {}, b.date ?? ''),
        h('td', {}, h('button', { class: 'jp-mlops-button', onclick: (e: Event) => void this.preflight(b.name, e.target as HTMLButtonElement) }, 'Run preflight'))
      )
    );
    const remote = status.remote ? (/^https?:\/\//.test(status.remote) ? h('a', { href: status.remote, target: '_blank', rel: 'noopener' }, status.remote) : status.remote) : 'none yet: push the project';
    this.content.replaceChildren(
      h(
        'dl',
        { class: 'jp-mlops-facts' },
        h('dt', {}, 'Project'),
        h('dd', {}, status.name),
        h('dt', {}, 'Folder'),
        h('dd', {}, status.path || '/'),
        h('dt', {}, 'Remote'),
        h('dd', { 'data-fact': 'remote' }, remote),
        h('dt', {}, 'Secrets'),
        h('dd', { 'data-fact': 'secrets-mode' }, SECRETS_MODE[status.secrets_mode ?? ''] ?? String(status.secrets_mode ?? 'unknown'))
      ),
      h(
        'table',
        { class: 'jp-mlops-branches' },
        h('thead', {}, h('tr', {}, ...['Branch', 'Commit', 'Last change', 'Date', 'Preflight'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows)
      ),
      h('div', { class: 'jp-mlops-preflight' })
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
