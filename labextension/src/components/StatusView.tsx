/**
 * A project folder's status: branches and their last commits, the remote, how secrets are scoped (GitHub
 * Environments or prefixed repository secrets), and the CI preflight or the inference tests run per branch
 * (statusmodel.ts).
 */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import type { IStatus } from '../apitypes';
import type { CheckKind, StatusModel } from '../statusmodel';
import { Banner, ExternalLink, ProgressList } from './common';

const SECRETS_MODE: Record<string, string> = {
  environments:
    'GitHub Environments, one per branch (secrets scoped by environment)',
  repository:
    'Repository secrets prefixed with the branch name (environments not available)'
};

export function StatusView(props: { model: StatusModel }): JSX.Element {
  const { model } = props;
  const status = model.status;
  return (
    <>
      <h2>MLOps project status</h2>
      <div className="jp-mlops-footer">
        <Button
          className="jp-mlops-button"
          disabled={model.loading}
          onClick={() => void model.refresh()}
        >
          Refresh
        </Button>
      </div>
      <Banner banner={model.banner} />
      <div className="jp-mlops-body">
        {model.loading && (
          <p className="jp-mlops-loading">Reading the project…</p>
        )}
        {status && !model.loading && (
          <>
            <Facts status={status} />
            <table className="jp-mlops-branches">
              <thead>
                <tr>
                  {[
                    'Branch',
                    'Last commit',
                    'Remote',
                    'CI secrets',
                    'Checks'
                  ].map(t => (
                    <th key={t} scope="col">
                      {t}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {status.branches.map(b => (
                  <BranchRow
                    key={b.name}
                    model={model}
                    branch={b}
                    isDefault={b.name === status.default_branch}
                  />
                ))}
              </tbody>
            </table>
            <Preflight model={model} />
          </>
        )}
      </div>
    </>
  );
}

function Facts(props: { status: IStatus }): JSX.Element {
  const { status } = props;
  const changed = status.uncommitted;
  return (
    <dl className="jp-mlops-facts">
      <dt>Project</dt>
      <dd>
        {status.name}
        {status.kind === 'main' ? ' (the organisation’s main repository)' : ''}
        {status.template_version
          ? ` — template ${status.template_version}`
          : ''}
      </dd>
      <dt>Folder</dt>
      <dd>{status.path || '/'}</dd>
      <dt>Remote</dt>
      <dd data-fact="remote">
        <Remote remote={status.remote} />
      </dd>
      <dt>Secrets</dt>
      <dd data-fact="secrets-mode">
        {SECRETS_MODE[status.secrets_mode] ?? status.secrets_mode}
      </dd>
      <dt>Work tree</dt>
      <dd data-fact="uncommitted">
        {changed.length
          ? `${changed.length} uncommitted: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ' …' : ''}`
          : 'clean'}
      </dd>
    </dl>
  );
}

function Remote(props: { remote: IStatus['remote'] }): JSX.Element {
  const { remote } = props;
  switch (remote.kind) {
    case 'github':
      return (
        <>
          GitHub{' '}
          {remote.web_url ? (
            <ExternalLink
              href={remote.web_url}
              text={remote.repository ?? remote.web_url}
            />
          ) : (
            remote.repository
          )}
        </>
      );
    case 'embedded':
      return <>embedded default (local bare repository) {remote.url ?? ''}</>;
    case 'git':
      return <>git remote {remote.url ?? ''}</>;
    default:
      return <>none yet: push the project</>;
  }
}

type Branch = IStatus['branches'][number];

function BranchRow(props: {
  model: StatusModel;
  branch: Branch;
  isDefault: boolean;
}): JSX.Element {
  const { model, branch: b } = props;
  const marks = [props.isDefault && 'default', b.current && 'checked out']
    .filter(Boolean)
    .join(', ');
  const scope = b.environment
    ? `environment ${b.environment}`
    : 'repository secrets';
  const when = [b.author, b.date && new Date(b.date).toLocaleString()]
    .filter(Boolean)
    .join(' · ');
  const running = model.preflight?.state === 'running';
  return (
    <tr data-branch={b.name}>
      <th scope="row">
        {b.name}
        {marks && <div className="jp-mlops-help">{marks}</div>}
      </th>
      <td>
        {b.exists ? (
          <>
            <code>{(b.commit ?? '').slice(0, 8)}</code> {b.subject ?? ''}
            <div className="jp-mlops-help">{when}</div>
          </>
        ) : (
          'missing: `jupyter mlops init` recreates it'
        )}
      </td>
      <td data-fact="sync">{b.remote}</td>
      <td data-fact="secrets">
        {b.secrets.length ? `${b.secrets.join(', ')} (${scope})` : 'none'}
        {b.optional_secrets?.length ? (
          <div className="jp-mlops-help" data-fact="optional-secrets">
            optional: {b.optional_secrets.join(', ')}
          </div>
        ) : null}
      </td>
      <td className="jp-mlops-checks">
        <Button
          className="jp-mlops-button"
          disabled={!b.exists || running}
          onClick={() => void model.runPreflight(b.name)}
        >
          Run preflight
        </Button>
        <Button
          className="jp-mlops-button"
          disabled={!b.exists || running}
          title="The project's inference tests against this branch's deployed model"
          onClick={() => void model.runInferenceTests(b.name)}
        >
          Run inference tests
        </Button>
      </td>
    </tr>
  );
}

const CHECK_TITLE: Record<CheckKind, [string, string]> = {
  preflight: ['Preflight', 'every preflight check passed'],
  inference: ['Inference tests', 'every inference test passed']
};

function Preflight(props: { model: StatusModel }): JSX.Element {
  const run = props.model.preflight;
  const [title, passed] = CHECK_TITLE[run?.kind ?? 'preflight'];
  return (
    <div className="jp-mlops-preflight" data-check={run?.kind}>
      {run && (
        <>
          <h3>
            {title} of {run.branch}
          </h3>
          <ProgressList lines={run.progress} />
          <Banner banner={run.banner} />
          {run.state === 'passed' && (
            <p className="jp-mlops-ok">
              {run.branch}: {passed}.
            </p>
          )}
        </>
      )}
    </div>
  );
}
