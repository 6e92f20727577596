/**
 * The one way this extension talks to the jupyter-mlops REST API (jupyter_mlops/server/openapi.yaml).
 *
 * Every request goes through ServerConnection.makeRequest with the server settings' baseUrl, so the
 * token, the XSRF cookie and a Kubeflow notebook prefix (/notebook/<namespace>/<name>/) come for free.
 * Bodies are typed with apitypes.ts, generated from the same API document. The models receive an
 * `IMlopsAPI`, so their tests give them a fake one.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IDefaults,
  IEvent,
  IInitPlan,
  IInitRequest,
  IJob,
  IPushRequest,
  ISettingsSchema,
  IStatus,
  IValidation,
  Settings
} from './apitypes';

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

export type JobKind = 'init' | 'push' | 'check';

/** A message for the panel's banner, with the server's details (one per wrong field). */
export interface IBanner {
  message: string;
  details: string[];
}

export const NO_BANNER: IBanner = { message: '', details: [] };

export function bannerOf(error: unknown): IBanner {
  return {
    message: error instanceof Error ? error.message : String(error),
    details: error instanceof APIError ? error.details : []
  };
}

/** What the panels ask of the server. */
export interface IMlopsAPI {
  schema(branches?: string): Promise<ISettingsSchema>;
  defaults(name?: string, branches?: string): Promise<IDefaults>;
  validate(settings: Settings): Promise<IValidation>;
  plan(body: IInitRequest): Promise<IInitPlan>;
  start(
    kind: JobKind,
    body: IInitRequest | IPushRequest | object
  ): Promise<IJob>;
  job(id: string, since: number): Promise<IJob>;
  cancel(id: string): Promise<IJob>;
  status(path: string): Promise<IStatus>;
}

interface IRequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
}

/** Call `<baseUrl>/jupyter-mlops/api/<endPoint>` and return its JSON body, or throw APIError. */
export async function requestAPI<T>(
  endPoint: string,
  options: IRequestOptions = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  let url = URLExt.join(settings.baseUrl, 'jupyter-mlops', 'api', endPoint);
  const query = Object.entries(options.query ?? {}).filter(
    ([, v]) => v !== undefined && v !== ''
  );
  if (query.length) {
    url += URLExt.objectToQueryString(Object.fromEntries(query));
  }
  const init: RequestInit = { method: options.method ?? 'GET' };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { 'Content-Type': 'application/json' };
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
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (data && typeof data.message === 'string') {
      throw new APIError(
        data.message,
        data.reason ?? 'error',
        response.status,
        data.details ?? []
      );
    }
    const hint =
      response.status === 404
        ? 'Is the jupyter-mlops server extension enabled? (`jupyter server extension list`)'
        : 'See the Jupyter server log.';
    throw new APIError(
      `The server answered ${response.status} ${response.statusText}. ${hint}`,
      'http_error',
      response.status
    );
  }
  return data as T;
}

/** The REST API as the panels use it. */
export const serverAPI: IMlopsAPI = {
  schema: branches => requestAPI('schema', { query: { branches } }),
  defaults: (name, branches) =>
    requestAPI('defaults', { query: { name, branches } }),
  validate: settings =>
    requestAPI('validate', { method: 'POST', body: { settings } }),
  plan: body => requestAPI('plan', { method: 'POST', body }),
  start: (kind, body) => requestAPI(kind, { method: 'POST', body }),
  job: (id, since) => requestAPI(`jobs/${id}`, { query: { since } }),
  cancel: id => requestAPI(`jobs/${id}`, { method: 'DELETE' }),
  status: path => requestAPI('status', { query: { path } })
};

const FINISHED = ['succeeded', 'failed', 'cancelled'];
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Start a long operation and follow it to the end: every new progress event goes to `onEvent`, the job's
 * id to `onStarted` (for cancelling); the finished job is returned.
 */
export async function followJob(
  api: IMlopsAPI,
  kind: JobKind,
  body: object,
  onEvent: (event: IEvent) => void,
  onStarted: (id: string) => void = () => undefined,
  pollMs = 400
): Promise<IJob> {
  let job = await api.start(kind, body);
  onStarted(job.id);
  job.events.forEach(onEvent);
  while (!FINISHED.includes(job.state)) {
    await sleep(pollMs);
    job = await api.job(job.id, job.next_event);
    job.events.forEach(onEvent);
  }
  return job;
}

/** The error a finished job reports, as the APIError a request would have thrown. */
export function jobError(job: IJob): APIError {
  const error = job.error ?? {
    message: `The ${job.kind} job was ${job.state}.`,
    reason: job.state
  };
  return new APIError(error.message, error.reason, 200, error.details ?? []);
}
