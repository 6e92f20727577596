/**
 * The one way this extension talks to the jupyter-mlops REST API (jupyter_mlops/server/openapi.yaml).
 *
 * Every request goes through ServerConnection.makeRequest with the server settings' baseUrl, so the
 * token, the XSRF cookie and a Kubeflow notebook prefix (/notebook/<namespace>/<name>/) come for free.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type SettingValue = string | boolean;
export type Settings = Record<string, SettingValue>;
export type SecretsByBranch = Record<string, string[]>;

export interface Defaults {
  name: string;
  branches: string[];
  default_branch: string;
  settings: Settings;
  required_secrets: SecretsByBranch;
}

export interface SchemaProperty {
  type: 'string' | 'boolean';
  title?: string;
  description?: string;
  enum?: string[];
}

export interface SettingsSchema {
  properties: Record<string, SchemaProperty>;
  required?: string[];
}

export interface Validation {
  valid: boolean;
  errors: Record<string, string>;
  required_secrets?: SecretsByBranch;
}

export interface InitPlan {
  path: string;
  mode: 'new' | 'update' | 'adopt';
  files: { path: string; action: string; owner: string }[];
  git_init: boolean;
  commit: string | null;
  branches: { create: string[]; existing: string[] };
  default_branch: string;
  nothing_to_do: boolean;
  describe: string[];
}

export interface JobEvent {
  index: number;
  step: string;
  state: 'start' | 'done' | 'skip' | 'warn' | 'fail' | 'info';
  message: string;
  link?: string | null;
  time: number;
}

export interface ErrorBody {
  message: string;
  reason: string;
  details?: string[];
}

export interface Job {
  id: string;
  kind: string;
  path?: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  events: JobEvent[];
  next_event: number;
  result: Record<string, unknown> | null;
  error: ErrorBody | null;
}

export interface BranchStatus {
  name: string;
  exists: boolean;
  commit: string | null;
  subject?: string;
  author?: string;
  date?: string;
  /** in sync | ahead N | behind N | diverged (…) | not pushed | no remote */
  remote: string;
  current: boolean;
  environment?: string | null;
  secrets: string[];
}

export interface ProjectStatus {
  path: string;
  name: string;
  kind: 'project' | 'main';
  template_version?: string;
  default_branch: string;
  current_branch: string | null;
  secrets_mode: 'environments' | 'repository';
  branches: BranchStatus[];
  remote: { kind: 'github' | 'embedded' | 'git' | 'none'; url: string | null; repository?: string | null; web_url?: string | null };
  uncommitted: string[];
}

/** An answer other than 2xx, carrying the server's `{message, reason, details}`. */
export class APIError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly status: number,
    readonly details: string[] = []
  ) {
    super(message);
  }
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

/** Call `<baseUrl>/jupyter-mlops/api/<endPoint>` and return its JSON body, or throw APIError. */
export async function requestAPI<T>(endPoint: string, options: RequestOptions = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  let url = URLExt.join(settings.baseUrl, 'jupyter-mlops', 'api', endPoint);
  const query = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined && v !== '');
  if (query.length) {
    url += URLExt.objectToQueryString(Object.fromEntries(query) as Record<string, string>);
  }
  const init: RequestInit = { method: options.method ?? 'GET', headers: options.headers };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { 'Content-Type': 'application/json', ...options.headers };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new APIError(
      `The Jupyter server could not be reached (${String(error)}); check that it is running and reload.`,
      'network_error',
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    if (data && typeof data.message === 'string') {
      throw new APIError(data.message, data.reason ?? 'error', response.status, data.details ?? []);
    }
    const hint =
      response.status === 404
        ? 'Is the jupyter-mlops server extension enabled? (`jupyter server extension list`)'
        : 'See the Jupyter server log.';
    throw new APIError(`The server answered ${response.status} ${response.statusText}. ${hint}`, 'http_error', response.status);
  }
  return data as T;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Start a long operation (init, push, check, run, sync) and follow it to the end: every new progress
 * event goes to `onEvent`; the finished job is returned. `onStarted` gets the job id (for cancelling).
 */
export async function runJob(
  kind: string,
  body: unknown,
  onEvent: (event: JobEvent) => void,
  onStarted?: (id: string) => void,
  pollMs = 400
): Promise<Job> {
  let job = await requestAPI<Job>(kind, { method: 'POST', body });
  onStarted?.(job.id);
  job.events.forEach(onEvent);
  while (!FINISHED.includes(job.state)) {
    await sleep(pollMs);
    job = await requestAPI<Job>(`jobs/${job.id}`, { query: { since: job.next_event } });
    job.events.forEach(onEvent);
  }
  return job;
}

export function cancelJob(id: string): Promise<Job> {
  return requestAPI<Job>(`jobs/${id}`, { method: 'DELETE' });
}
