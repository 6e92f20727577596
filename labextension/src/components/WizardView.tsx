/**
 * The new-project wizard's views: one page per schema page (`x-groups`: fields in `x-order`, hidden while
 * their `x-when` fails, per-branch pages as tabs), then Secrets, Review, Create. Everything they show is the
 * model's state (model.ts); everything they do is a call to the model.
 */
import { Button, HTMLSelect, InputGroup } from '@jupyterlab/ui-components';
import React from 'react';

import type { IInitPlan, ISettingField } from '../apitypes';
import { DEFAULT_GITHUB_API, IStep, WizardModel } from '../model';
import { Banner, ExternalLink, FieldRow, ProgressList } from './common';

export interface IWizardActions {
  openFolder: (path: string) => void;
  openStatus: (path: string) => void;
}

interface IViewProps extends IWizardActions {
  model: WizardModel;
}

export function WizardView(props: IViewProps): JSX.Element {
  const { model } = props;
  const root = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    if (model.focus) {
      root.current
        ?.querySelector<HTMLElement>(`[data-key="${model.focus}"]`)
        ?.focus();
      model.focus = '';
    }
  });
  const steps = model.steps;
  const last = steps.length - 1;
  const step = model.step;
  return (
    <div ref={root}>
      <h2>New MLOps project</h2>
      <ol className="jp-mlops-steps">
        {steps.map((s, i) => (
          <li
            key={s.id}
            className={
              i === model.stepIndex
                ? 'jp-mod-current'
                : i < model.stepIndex || model.done
                  ? 'jp-mod-done'
                  : ''
            }
            aria-current={i === model.stepIndex ? 'step' : undefined}
          >
            <span>{i + 1}</span> {s.title}
          </li>
        ))}
      </ol>
      <Banner banner={model.banner} />
      <div className="jp-mlops-body">
        {model.schema === null ? (
          <p className="jp-mlops-loading">
            {model.busy ? 'Loading the defaults…' : ''}
          </p>
        ) : (
          <section className="jp-mlops-page" data-step={step.id}>
            <StepView {...props} step={step} />
          </section>
        )}
      </div>
      <div className="jp-mlops-footer">
        {model.stepIndex > 0 && !model.done && (
          <Button
            className="jp-mlops-button"
            disabled={model.busy}
            onClick={() => model.back()}
          >
            Back
          </Button>
        )}
        {model.jobId && (
          <Button
            className="jp-mlops-button jp-mod-warn"
            onClick={() => void model.cancel()}
          >
            Cancel
          </Button>
        )}
        {model.stepIndex < last && (
          <Button
            className="jp-mlops-button jp-mod-accept"
            disabled={model.busy || model.schema === null}
            onClick={() => void model.next()}
          >
            {step.id === 'review' ? 'Create' : 'Next'}
          </Button>
        )}
        {model.stepIndex === last &&
          !model.done &&
          !model.jobId &&
          !model.busy && (
            <Button
              className="jp-mlops-button jp-mod-accept"
              onClick={() => void model.next()}
            >
              Create
            </Button>
          )}
      </div>
    </div>
  );
}

function StepView(props: IViewProps & { step: IStep }): JSX.Element {
  const { model, step } = props;
  switch (step.id) {
    case 'secrets':
      return <SecretsPage model={model} />;
    case 'review':
      return <ReviewPage model={model} plan={model.plan} />;
    case 'create':
      return <CreatePage {...props} />;
    default:
      return <SchemaPage model={model} step={step} />;
  }
}

// ---------------------------------------------------------------------- the schema's pages

function SchemaPage(props: { model: WizardModel; step: IStep }): JSX.Element {
  const { model, step } = props;
  const first = model.steps[0].id === step.id;
  const fields = (keys: string[]) =>
    keys
      .filter(k => model.isShown(k))
      .map(key => (
        <React.Fragment key={key}>
          <SettingField model={model} name={key} field={model.field(key)} />
          {first && key === 'name' && <FolderField model={model} />}
        </React.Fragment>
      ));
  return (
    <>
      <p className="jp-mlops-intro">{step.intro}</p>
      {step.perBranch ? (
        <>
          <div className="jp-mlops-tabs" role="tablist">
            {model.branches.map(b => (
              <button
                key={b}
                className="jp-mlops-tab"
                role="tab"
                aria-selected={b === model.activeBranch}
                data-branch={b}
                onClick={() => model.selectBranch(b)}
              >
                {b}
              </button>
            ))}
          </div>
          {model.branches.map(b => (
            <fieldset
              key={b}
              className="jp-mlops-branch"
              data-branch={b}
              hidden={b !== model.activeBranch}
            >
              <legend>Branch {b}</legend>
              {fields(model.keysOn(step.id, b))}
            </fieldset>
          ))}
        </>
      ) : (
        fields(model.keysOn(step.id))
      )}
      {step.id === 'github' && <PushFields model={model} />}
    </>
  );
}

/** One setting's input, as its schema field says: a checkbox, a choice, or text (with an example). */
function SettingField(props: {
  model: WizardModel;
  name: string;
  field: ISettingField;
}): JSX.Element {
  const { model, name, field } = props;
  const value = model.values[name];
  const error = model.errors[name];
  const kind =
    field.type === 'boolean' ? 'checkbox' : field.enum ? 'select' : 'text';
  return (
    <FieldRow
      name={name}
      label={field.title}
      help={field.description}
      error={error}
      kind={kind}
    >
      {id =>
        kind === 'checkbox' ? (
          <input
            id={id}
            type="checkbox"
            className="jp-mlops-checkbox"
            data-key={name}
            checked={value === true}
            aria-invalid={!!error}
            onChange={e => model.setValue(name, e.target.checked)}
          />
        ) : kind === 'select' ? (
          <HTMLSelect
            id={id}
            data-key={name}
            value={String(value ?? '')}
            options={field.enum}
            aria-invalid={!!error}
            onChange={e => model.setValue(name, e.target.value)}
          />
        ) : (
          <InputGroup
            id={id}
            className="jp-mlops-input"
            data-key={name}
            value={String(value ?? '')}
            placeholder={
              field.examples?.length ? `e.g. ${field.examples[0]}` : undefined
            }
            spellCheck={false}
            autoComplete="off"
            aria-invalid={!!error}
            onChange={e => model.setValue(name, e.target.value)}
          />
        )
      }
    </FieldRow>
  );
}

interface ITextFieldProps {
  name: string;
  label: string;
  help?: string;
  value: string;
  error?: string;
  password?: boolean;
  onChange: (value: string) => void;
}

/** A text input that is not a setting (the folder, the push's GitHub fields, a secret value). */
function TextField(props: ITextFieldProps): JSX.Element {
  return (
    <FieldRow
      name={props.name}
      label={props.label}
      help={props.help}
      error={props.error}
      kind="text"
    >
      {id => (
        <InputGroup
          id={id}
          className="jp-mlops-input"
          data-key={props.name}
          type={props.password ? 'password' : 'text'}
          autoComplete={props.password ? 'new-password' : 'off'}
          spellCheck={false}
          value={props.value}
          aria-invalid={!!props.error}
          onChange={e => props.onChange(e.target.value)}
        />
      )}
    </FieldRow>
  );
}

function FolderField(props: { model: WizardModel }): JSX.Element {
  const { model } = props;
  return (
    <TextField
      name="path"
      label="Folder"
      help="Where the project is created, relative to the Jupyter root"
      value={model.folder}
      error={model.errors.path}
      onChange={v => model.setFolder(v)}
    />
  );
}

/** What the push needs besides the settings: the GitHub API URL, a token (never stored), visibility. */
function PushFields(props: { model: WizardModel }): JSX.Element {
  const { model } = props;
  return (
    <>
      <TextField
        name="github_url"
        label="GitHub API URL"
        help="GitHub API URL; for GitHub Enterprise https://HOST/api/v3"
        value={model.github.url}
        error={model.errors.github_url}
        onChange={v => model.setGitHub('url', v)}
      />
      <TextField
        name="token"
        label="GitHub token"
        help="Needs repo and workflow scopes; used for this push only and never stored. Empty: the server’s GITHUB_TOKEN."
        value={model.github.token}
        error={model.errors.token}
        password
        onChange={v => model.setGitHub('token', v)}
      />
      <FieldRow name="private" label="Private repository" kind="checkbox">
        {id => (
          <input
            id={id}
            type="checkbox"
            className="jp-mlops-checkbox"
            data-key="private"
            checked={model.github.private}
            onChange={e => model.setGitHub('private', e.target.checked)}
          />
        )}
      </FieldRow>
    </>
  );
}

// ---------------------------------------------------------------------- secrets, review, create

function SecretsPage(props: { model: WizardModel }): JSX.Element {
  const { model } = props;
  if (!model.values.owner) {
    return (
      <p className="jp-mlops-intro">
        No GitHub owner: the project is pushed to a local remote, where there
        are no secrets to set. Set them later with `jupyter mlops secrets set
        NAME --env BRANCH`.
      </p>
    );
  }
  const described = new Map(
    (model.schema?.['x-secrets'] ?? []).map(s => [s.name, s])
  );
  return (
    <>
      <p className="jp-mlops-intro">
        Each branch’s CI reads these from its GitHub Environment. They are
        encrypted for GitHub during the push and never stored here; leave one
        empty to set it later.
      </p>
      {model.branches.map(branch => {
        const optional = model.optionalSecrets[branch] ?? [];
        const names = model.secretNames(branch);
        return (
          <fieldset
            key={branch}
            className="jp-mlops-branch"
            data-branch={branch}
          >
            <legend>Environment {branch}</legend>
            {names.length === 0 && (
              <p className="jp-mlops-help">
                No secrets needed with these settings.
              </p>
            )}
            {names.map(name => (
              <TextField
                key={name}
                name={`${branch}/${name}`}
                label={optional.includes(name) ? `${name} (optional)` : name}
                help={described.get(name)?.description}
                value={model.secrets.get(`${branch}/${name}`) ?? ''}
                password
                onChange={v => model.setSecret(branch, name, v)}
              />
            ))}
          </fieldset>
        );
      })}
    </>
  );
}

function ReviewPage(props: {
  model: WizardModel;
  plan: IInitPlan | null;
}): JSX.Element | null {
  const { model, plan } = props;
  if (!plan) {
    return null;
  }
  const owner = String(model.values.owner ?? '');
  const branches = model.branches.join(', ');
  const given = [...model.secrets]
    .filter(([, v]) => v)
    .map(([k]) => k.replace('/', ': '));
  const push = owner
    ? [
        `Create the ${model.github.private ? 'private' : 'public'} repository ${owner}/${model.values.name} on ${model.github.url || DEFAULT_GITHUB_API} and push ${branches}`,
        `Create the environments ${branches}`,
        given.length
          ? `Set the secrets ${given.join(', ')}`
          : 'Set no secrets now'
      ]
    : ['Push every branch to a local git remote (no GitHub owner given)'];
  const count = (action: string) =>
    plan.files.filter(f => f.action === action).length;
  const files = [
    `${count('create')} files to create`,
    count('add') && `${count('add')} written by a stopped run, to commit`,
    count('unchanged') && `${count('unchanged')} already as generated`,
    count('kept') && `${count('kept')} of yours kept as they are`
  ].filter(Boolean);
  const mode = {
    new: 'a new project',
    adopt: 'your folder becomes a project',
    update: 'complete the existing project'
  };
  const summary = [
    `${plan.path || 'The Jupyter root'}: ${mode[plan.mode]}`,
    plan.git_init && `git init (default branch ${plan.default_branch})`,
    files.join(', '),
    plan.commit && `Commit “${plan.commit}” on ${plan.default_branch}`,
    plan.branches.create.length > 0 &&
      `Create the branches ${plan.branches.create.join(', ')}`,
    plan.nothing_to_do && 'Nothing to change: the project is complete'
  ].filter((line): line is string => typeof line === 'string' && line !== '');
  return (
    <>
      <h3>The repository</h3>
      <Lines className="jp-mlops-plan" lines={summary} />
      <details>
        <summary>The whole plan</summary>
        <Lines className="jp-mlops-files" lines={plan.describe} />
      </details>
      <h3>Then</h3>
      <Lines className="jp-mlops-plan" lines={push} />
    </>
  );
}

function Lines(props: { className: string; lines: string[] }): JSX.Element {
  return (
    <ul className={props.className}>
      {props.lines.map((line, i) => (
        <li key={i}>{line}</li>
      ))}
    </ul>
  );
}

function CreatePage(props: IViewProps): JSX.Element {
  const { model } = props;
  const path = model.folder.trim();
  return (
    <>
      <ProgressList lines={model.progress} />
      {model.done && (
        <div className="jp-mlops-result">
          <h3>{String(model.values.name)} is ready</h3>
          <ul className="jp-mlops-links">
            {model.done.links.map(l => (
              <li key={l}>
                {l.endsWith('.git') ? 'Clone: ' : 'Repository: '}
                <ExternalLink href={l} />
              </li>
            ))}
          </ul>
          <Button
            className="jp-mlops-button"
            onClick={() => props.openFolder(path)}
          >
            Open the folder
          </Button>
          <Button
            className="jp-mlops-button"
            onClick={() => props.openStatus(path)}
          >
            Project status
          </Button>
        </div>
      )}
    </>
  );
}
