/**
 * The wizard's and the status view's models, without a browser: a user's story told through the model's
 * methods, against a stand-in API that answers with the real server's schema and defaults.
 */
import { APIError } from '../api';
import { WizardModel } from '../model';
import { StatusModel } from '../statusmodel';
import { event, FakeAPI } from './fakeapi';

async function loaded(api = new FakeAPI()): Promise<[WizardModel, FakeAPI]> {
  const model = new WizardModel(api, {
    cwd: 'projects',
    validateDelayMs: 0,
    pollMs: 0
  });
  await model.load();
  return [model, api];
}

async function walkTo(model: WizardModel, id: string): Promise<void> {
  while (model.step.id !== id) {
    const before = model.stepIndex;
    await model.next();
    expect(model.stepIndex).toBe(before + 1);
  }
}

describe('WizardModel', () => {
  it('renders its pages and fields from the settings schema', async () => {
    const [model] = await loaded();
    expect(model.steps.map(s => s.title)).toEqual([
      'Project',
      'Options',
      'Platform',
      'GitHub',
      'Secrets',
      'Review',
      'Create'
    ]);
    expect(model.steps[2].perBranch).toBe(true);
    expect(model.keysOn('options')).toEqual([
      'example',
      'compare',
      'monitor',
      'data.dvc',
      'containers',
      'registry'
    ]);
    expect(model.keysOn('platform', 'staging')[0]).toBe('staging.kfp.host');
    expect(model.values.name).toBe('ml-project');
    expect(model.folder).toBe('projects/ml-project');
    expect(model.focus).toBe('name');
  });

  it('shows a field only while its dependency holds, and sends only what is shown', async () => {
    const [model, api] = await loaded();
    expect(model.isShown('registry')).toBe(false);
    model.setValue('registry', 'Not A Registry');
    await model.validate();
    expect(api.last('validate')).not.toHaveProperty('registry');

    model.setValue('containers', true);
    expect(model.isShown('registry')).toBe(true);
    await model.validate();
    expect(api.last('validate')).toMatchObject({
      containers: true,
      registry: 'Not A Registry'
    });
    expect(model.isShown('staging.data.remote')).toBe(false);
  });

  it('keeps the user on a page while the server finds a value wrong, focused on it', async () => {
    const [model, api] = await loaded();
    api.verdict = s => {
      const errors: Record<string, string> = String(s.name).includes(' ')
        ? { name: "'wine quality' has characters GitHub does not allow" }
        : {};
      return { valid: !errors.name, errors };
    };
    model.setValue('name', 'wine quality');
    expect(model.folder).toBe('projects/wine quality'); // the folder follows the name
    await model.next();
    expect(model.step.id).toBe('project');
    expect(model.errors.name).toBe(
      "'wine quality' has characters GitHub does not allow"
    );
    expect(model.focus).toBe('name');

    model.setValue('name', 'wine');
    await model.next();
    expect(model.step.id).toBe('options');
    expect(model.errors.name).toBeUndefined();
  });

  it('a wrong value on a branch tab brings that tab forward', async () => {
    const [model, api] = await loaded();
    await walkTo(model, 'platform');
    api.verdict = () => ({
      valid: false,
      errors: { 'production.kfp.host': 'not an http(s) URL' }
    });
    await model.next();
    expect(model.step.id).toBe('platform');
    expect(model.activeBranch).toBe('production');
    expect(model.focus).toBe('production.kfp.host');
  });

  it('a new branch list reshapes the per-branch page; values the user typed survive', async () => {
    const [model, api] = await loaded();
    model.setValue('name', 'churn');
    model.setValue('branches', 'dev,prod');
    model.setValue('description', 'Churn, wired');
    await model.next();
    expect(api.last('schema')).toBe('dev,prod');
    expect(model.branches).toEqual(['dev', 'prod']);
    expect(model.values['dev.kfp.experiment']).toBe('churn-dev');
    expect(model.values['prod.kfp.auth']).toBe('dex');
    expect(model.values.description).toBe('Churn, wired');
    expect(model.keysOn('platform', 'prod')).toContain('prod.schedule');
    expect(model.activeBranch).toBe('dev');
  });

  it('creates the project: plan on review, then init and push with progress, credentials forgotten', async () => {
    const [model, api] = await loaded();
    api.verdict = () => ({
      valid: true,
      errors: {},
      required_secrets: {
        development: [],
        staging: ['KFP_TOKEN'],
        production: []
      }
    });
    api.jobs.push = {
      events: [
        event(
          1,
          'push',
          'done',
          'Created octo/wine',
          'https://github.example/octo/wine'
        )
      ],
      result: { repo_url: 'https://github.example/octo/wine' }
    };
    const created: string[] = [];
    model.projectCreated.connect((_, path) => created.push(path));
    model.setValue('name', 'wine');
    await walkTo(model, 'github');
    model.setValue('owner', 'octo');
    model.setGitHub('token', 'ghp_secret');
    await walkTo(model, 'secrets');
    model.setSecret('staging', 'KFP_TOKEN', 'kfp-value');
    await walkTo(model, 'review');
    expect(api.last('plan')).toMatchObject({
      path: 'projects/wine',
      name: 'wine'
    });
    expect(model.plan?.mode).toBe('new');

    await model.next(); // Create
    expect(model.step.id).toBe('create');
    expect(api.routes().filter(r => ['init', 'push'].includes(r))).toEqual([
      'init',
      'push'
    ]);
    expect(api.last('push')).toEqual({
      path: 'projects/wine',
      owner: 'octo',
      private: true,
      github_url: 'https://api.github.com',
      token: 'ghp_secret',
      secrets: { staging: { KFP_TOKEN: 'kfp-value' } }
    });
    expect(created).toEqual(['projects/wine']);
    expect(model.progress.map(l => l.event.message)).toEqual([
      'init done',
      'Created octo/wine'
    ]);
    expect(model.done?.links).toEqual(['https://github.example/octo/wine']);
    expect(model.github.token).toBe('');
    expect(model.secrets.size).toBe(0);
  });

  it('a token GitHub refuses is shown on the token field, and Create can be pressed again', async () => {
    const [model, api] = await loaded();
    api.jobs.push = {
      state: 'failed',
      error: {
        message: 'GitHub refused the token (401)',
        reason: 'unauthenticated'
      }
    };
    await walkTo(model, 'review');
    await model.next();
    expect(model.step.id).toBe('create');
    expect(model.errors.token).toBe('GitHub refused the token (401)');
    expect(model.banner.message).toBe('GitHub refused the token (401)');
    expect(model.done).toBeNull();

    delete api.jobs.push;
    await model.next(); // Create again
    expect(model.done).not.toBeNull();
  });

  it('a folder the server refuses sends the user back to it', async () => {
    const [model, api] = await loaded();
    api.planAnswer = new APIError(
      "path '../x' contains '..'",
      'invalid_path',
      400
    );
    await walkTo(model, 'secrets');
    await model.next();
    expect(model.step.id).toBe('project');
    expect(model.errors.path).toBe("path '../x' contains '..'");
    expect(model.focus).toBe('path');
  });

  it('cancel asks the server to stop the running job', async () => {
    const [model, api] = await loaded();
    model.jobId = 'push-1';
    await model.cancel();
    expect(api.routes()).toContain('cancel push-1');
  });

  it('closing the panel forgets the token and the secret values', async () => {
    const [model] = await loaded();
    model.setGitHub('token', 'ghp_secret');
    model.setSecret('staging', 'KFP_TOKEN', 'v');
    let renders = 0;
    model.stateChanged.connect(() => renders++);
    model.dispose();
    expect(model.github.token).toBe('');
    expect(model.secrets.size).toBe(0);
    model.setValue('name', 'after');
    expect(renders).toBe(0);
  });
});

describe('StatusModel', () => {
  it('reads the status and runs a branch preflight as a job', async () => {
    const api = new FakeAPI();
    api.statusAnswer = {
      path: 'wine',
      name: 'wine',
      kind: 'project',
      default_branch: 'development',
      current_branch: 'development',
      secrets_mode: 'environments',
      branches: [],
      remote: { kind: 'none', url: null },
      uncommitted: []
    };
    const model = new StatusModel(api, 'wine', 0);
    await model.refresh();
    expect(model.status?.name).toBe('wine');
    expect(model.banner.message).toBe('');

    api.jobs.check = {
      state: 'failed',
      error: { message: 'KFP is not reachable', reason: 'remote_failure' }
    };
    await model.runPreflight('staging');
    expect(api.last('check')).toEqual({ path: 'wine', branch: 'staging' });
    expect(model.preflight?.state).toBe('failed');
    expect(model.preflight?.banner.message).toBe('KFP is not reachable');
  });

  it("runs a branch's inference tests as a check job with inference: true", async () => {
    // Given the status of a project whose development branch has no model served
    const api = new FakeAPI();
    const model = new StatusModel(api, 'wine', 0);
    api.jobs.check = {
      state: 'failed',
      error: {
        message:
          'The inference test of branch development failed (exit code 1)',
        reason: 'remote_failure',
        details: ['inference: no serving URL for the development branch']
      }
    };
    const seen: string[] = [];
    model.stateChanged.connect(() => seen.push(model.preflight!.state));

    // When the user runs the development branch's inference tests
    await model.runInferenceTests('development');

    // Then the server is asked for the inference tests, not the preflight, and their failure is shown
    expect(api.last('check')).toEqual({
      path: 'wine',
      branch: 'development',
      inference: true
    });
    expect(seen[0]).toBe('running');
    expect(model.preflight).toMatchObject({
      branch: 'development',
      kind: 'inference',
      state: 'failed'
    });
    expect(model.preflight?.banner.message).toBe(
      'The inference test of branch development failed (exit code 1)'
    );
    expect(model.preflight?.banner.details).toEqual([
      'inference: no serving URL for the development branch'
    ]);

    // And a preflight run afterwards asks for the preflight again
    api.jobs.check = { state: 'succeeded' };
    await model.runPreflight('development');
    expect(api.last('check')).toEqual({ path: 'wine', branch: 'development' });
    expect(model.preflight).toMatchObject({
      kind: 'preflight',
      state: 'passed'
    });
  });

  it('says what is wrong when the folder is not a project', async () => {
    const api = new FakeAPI();
    api.statusAnswer = new APIError(
      'wine: no mlops.toml here',
      'not_found',
      404
    );
    const model = new StatusModel(api, 'wine', 0);
    await model.refresh();
    expect(model.status).toBeNull();
    expect(model.banner.message).toBe('wine: no mlops.toml here');
  });
});
