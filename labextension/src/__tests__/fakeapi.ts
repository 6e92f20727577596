/**
 * A stand-in for the REST API the models talk to. Schema and defaults are the real server's answers
 * (answers.json, written by scripts/gen_api_types.py from the settings table); validation, plans and jobs
 * are whatever a test sets, and every call is recorded.
 */
import { APIError, IMlopsAPI, JobKind } from '../api';
import type {
  IDefaults,
  IInitPlan,
  IJob,
  ISettingsSchema,
  IStatus,
  IValidation,
  Settings
} from '../apitypes';
import answers from './answers.json';

const DEFAULT_BRANCHES = 'development,staging,production';

export class FakeAPI implements IMlopsAPI {
  calls: { route: string; body?: unknown }[] = [];
  /** The verdict `validate` gives for the values sent (default: all valid). */
  verdict: (settings: Settings) => IValidation = () => ({
    valid: true,
    errors: {},
    required_secrets: {}
  });
  planAnswer: IInitPlan | APIError = plan();
  /** How each kind of job ends. */
  jobs: Record<string, Partial<IJob>> = {};
  statusAnswer: IStatus | APIError | null = null;

  async schema(branches = DEFAULT_BRANCHES): Promise<ISettingsSchema> {
    this.calls.push({ route: 'schema', body: branches });
    const known = (answers.schema as Record<string, unknown>)[
      branches.replace(/\s/g, '')
    ];
    if (!known) {
      throw new Error(`answers.json has no schema for ${branches}`);
    }
    return known as ISettingsSchema;
  }

  async defaults(
    name = 'ml-project',
    branches = DEFAULT_BRANCHES
  ): Promise<IDefaults> {
    this.calls.push({ route: 'defaults', body: { name, branches } });
    const key = `${name}|${branches.replace(/\s/g, '')}`;
    const known = (answers.defaults as Record<string, unknown>)[key];
    if (!known) {
      throw new Error(`answers.json has no defaults for ${key}`);
    }
    return known as IDefaults;
  }

  async validate(settings: Settings): Promise<IValidation> {
    this.calls.push({ route: 'validate', body: settings });
    return this.verdict(settings);
  }

  async plan(body: object): Promise<IInitPlan> {
    this.calls.push({ route: 'plan', body });
    if (this.planAnswer instanceof APIError) {
      throw this.planAnswer;
    }
    return this.planAnswer;
  }

  async start(kind: JobKind, body: object): Promise<IJob> {
    this.calls.push({ route: kind, body });
    return job(kind, {
      state: 'running',
      events: [event(0, kind, 'start', `${kind} started`)],
      next_event: 1
    });
  }

  async job(id: string, since: number): Promise<IJob> {
    this.calls.push({ route: `jobs/${id}`, body: since });
    const kind = id.split('-')[0];
    return job(kind, {
      state: 'succeeded',
      events: [event(1, kind, 'done', `${kind} done`)],
      next_event: 2,
      ...this.jobs[kind]
    });
  }

  async cancel(id: string): Promise<IJob> {
    this.calls.push({ route: `cancel ${id}` });
    return job(id.split('-')[0], { state: 'cancelled' });
  }

  async status(path: string): Promise<IStatus> {
    this.calls.push({ route: 'status', body: path });
    if (this.statusAnswer instanceof APIError || !this.statusAnswer) {
      throw this.statusAnswer ?? new Error('no status set');
    }
    return this.statusAnswer;
  }

  routes(): string[] {
    return this.calls.map(c => c.route);
  }

  last(route: string): any {
    return [...this.calls].reverse().find(c => c.route === route)?.body;
  }
}

export function event(
  index: number,
  step: string,
  state: 'start' | 'done' | 'fail' | 'info',
  message: string,
  link: string | null = null
) {
  return { index, step, state, message, link, time: index };
}

function job(kind: string, part: Partial<IJob>): IJob {
  return {
    id: `${kind}-1`,
    kind: kind as IJob['kind'],
    state: 'queued',
    created: 0,
    events: [],
    next_event: 0,
    result: null,
    error: null,
    ...part
  };
}

export function plan(): IInitPlan {
  return {
    path: 'wine',
    mode: 'new',
    files: [{ path: 'README.md', action: 'create', owner: 'project' }],
    git_init: true,
    commit: 'Initial commit',
    branches: { create: ['staging', 'production'], existing: [] },
    default_branch: 'development',
    nothing_to_do: false,
    describe: ['create  README.md']
  };
}
