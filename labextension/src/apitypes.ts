/**
 * Request and response bodies of the jupyter-mlops REST API.
 *
 * GENERATED from jupyter_mlops/server/openapi.yaml by `python scripts/gen_api_types.py`: do not edit;
 * a test fails when this file and the API document differ (prettier and eslint skip it).
 */

export interface IError {
  message: string;
  /** Stable word: invalid_input, invalid_path, not_found, conflict, git_failed, unauthenticated, forbidden, remote_failure, timed_out, cancelled, too_many_jobs, internal_error (or a more specific word an operation defines); for Jupyter's own refusals the HTTP reason (forbidden, not_found, …). */
  reason: string;
  details?: string[];
}

export type SettingValue = string | boolean;

/** Settings keys as in `--set` (`name`, `owner`, `staging.kfp.host`, …). */
export type Settings = Record<string, SettingValue>;

export interface ISettingsSchema {
  "$schema": string;
  title?: string;
  type: "object";
  /** Settings key → its field. */
  properties: Record<string, ISettingField>;
  required: string[];
  additionalProperties: false;
  /** The branches the per-branch keys are for */
  "x-branches": string[];
  /** The forms' pages, in order. */
  "x-groups": ({
    id: string;
    title: string;
    /** The page's introduction */
    description: string;
    /** Shown once per branch */
    "x-per-branch"?: boolean;
  })[];
  /** The CI secrets a branch may need (the names `validate` lists per branch come from these). */
  "x-secrets": ISecretField[];
}

export interface ISettingField {
  type: "string" | "boolean";
  title: string;
  description: string;
  enum?: string[];
  default: SettingValue;
  examples?: SettingValue[];
  /** The id of the page it is on */
  "x-group": string;
  /** Its place on the page */
  "x-order": number;
  "x-when"?: Condition;
  /** Per-branch keys only: the branch */
  "x-branch"?: string;
  /** The key without the branch prefix */
  "x-setting": string;
  /** A comma-separated list (branches) */
  "x-list"?: boolean;
}

/** Holds when every key has its value: a literal, or `{"pattern": regex}` the text must match. In `x-secrets`, per-branch keys are written with the literal prefix `<branch>.`. */
export type Condition = Record<string, SettingValue | {
  pattern: string;
}>;

export interface ISecretField {
  name: string;
  title: string;
  description: string;
  "x-when"?: Condition;
  /** Needed when any one of these holds */
  "x-when-any": Condition[];
  /** CI runs without it */
  "x-optional": boolean;
}

export interface IValidateRequest {
  settings?: Settings;
}

export interface IDefaults {
  name: string;
  branches: string[];
  default_branch: string;
  settings: Settings;
  /** Branch → the secret names its CI needs with these settings. */
  required_secrets: Record<string, string[]>;
  /** Branch → secret names its CI passes on when set (e.g. an MLflow server with login). */
  optional_secrets?: Record<string, string[]>;
}

export interface IValidation {
  valid: boolean;
  /** Settings key → what is wrong and what to do. */
  errors: Record<string, string>;
  /** Branch → secret names its CI needs (present when the settings are valid). */
  required_secrets?: Record<string, string[]>;
  /** Branch → secret names its CI passes on when set, e.g. an MLflow server with login (present when the settings are valid). */
  optional_secrets?: Record<string, string[]>;
}

/** Folder relative to the server root. */
export type PathField = string;

export interface IInitRequest {
  path: PathField;
  name?: string;
  settings?: Settings;
  /** Create the organisation's main config repo instead of a project. */
  main?: boolean;
}

export interface IInitPlan {
  /** Relative to the server root */
  path: string;
  mode: "new" | "update" | "adopt";
  files: ({
    path: string;
    action: "create" | "add" | "unchanged" | "kept";
    owner: string;
  })[];
  git_init: boolean;
  commit?: string | null;
  branches: {
    create: string[];
    existing: string[];
  };
  default_branch: string;
  nothing_to_do: boolean;
  describe: string[];
}

/** GitHub token, used by this job only; never echoed, logged or stored. */
export type Token = string;

export interface IPushRequest {
  path: PathField;
  token?: Token;
  /** GitHub user or organisation; empty pushes to a local remote */
  owner?: string;
  private?: boolean;
  /** GitHub API URL, e.g. https://HOST/api/v3 */
  github_url?: string;
  /** Any git URL to push to instead of GitHub */
  remote?: string;
  /** Branch → {NAME → value}; set on the branch's environment during the push. */
  secrets?: Record<string, Record<string, string>>;
}

export interface ISecretsRequest {
  path: PathField;
  /** Branch (environment); default the default branch */
  env?: string;
  /** NAME → value (names as GitHub allows them; STAGING_NAME targets one branch) */
  secrets: Record<string, string>;
  token?: Token;
  github_url?: string;
}

export interface ISecretsSetResult {
  /** owner/name */
  repository: string;
  /** Branch → {name on GitHub → created | updated} */
  secrets: Record<string, Record<string, "created" | "updated">>;
}

export interface ISecretsListing {
  repository: string;
  secrets_mode: "environments" | "repository";
  secrets: ({
    branch: string;
    /** The project's name */
    name: string;
    /** The name on GitHub (STAGING_KFP_TOKEN in repository mode) */
    github_name: string;
    updated_at: string | null;
    /** The branch's settings need it */
    required: boolean;
  })[];
  /** Branch → names its settings need that are not set */
  missing: Record<string, string[]>;
  /** Branch → optional names not set (an MLflow server with login takes them) */
  optional?: Record<string, string[]>;
}

export interface IStatus {
  /** Relative to the server root */
  path: string;
  name: string;
  kind: "project" | "main";
  template_version?: string;
  default_branch: string;
  current_branch: string | null;
  secrets_mode: "environments" | "repository";
  branches: ({
    name: string;
    exists: boolean;
    commit: string | null;
    subject?: string;
    author?: string;
    /** ISO 8601 committer date */
    date?: string;
    /** in sync | ahead N | behind N | diverged (…) | not pushed | no remote */
    remote: string;
    current: boolean;
    /** The GitHub Environment its CI uses */
    environment?: string | null;
    /** Secret names its CI needs */
    secrets: string[];
    /** Secret names its CI passes on when they are set (an MLflow server with login) */
    optional_secrets?: string[];
  })[];
  remote: {
    kind: "github" | "embedded" | "git" | "none";
    url: string | null;
    repository?: string | null;
    web_url?: string | null;
    api_url?: string | null;
  };
  uncommitted: string[];
}

export interface IPushResult {
  target: "github" | "embedded" | "git";
  remote_url: string;
  /** The repository's web page on GitHub */
  repo_url: string | null;
  pushed: string[];
  secrets_mode: "environments" | "repository";
  mode_changed?: boolean;
  created_repository?: boolean;
  environments?: string[];
  secrets_set: Record<string, string[]>;
  secrets_missing: Record<string, string[]>;
  protected?: string[];
  warnings: string[];
  api_calls?: number;
}

export interface ISyncResult {
  branches: string[];
  projects: ({
    name: string;
    url: string;
    /** up to date | updated | PR opened | conflict | skipped | error */
    status: string;
    error: string;
    branches: ({
      branch: string;
      status: string;
      before?: string | null;
      upstream?: string | null;
      after?: string | null;
      changed?: string[];
      kept?: string[];
      conflicts?: (Record<string, unknown>)[];
      note?: string;
      link?: string | null;
    })[];
  })[];
}

/** Environment variables for this job only (e.g. KFP_TOKEN, KFP_USERNAME, KFP_PASSWORD, AWS_ACCESS_KEY_ID); never echoed, logged or stored. */
export type Credentials = Record<string, string>;

export interface ICheckRequest {
  path: PathField;
  branch?: string;
  /** Instead of the preflight, run the project's inference tests against the branch's deployed model */
  inference?: boolean;
  credentials?: Credentials;
}

export interface IRunRequest {
  path: PathField;
  branch?: string;
  /** Run on kfp.local instead of submitting */
  local?: boolean;
  /** Wait for the Kubeflow run to end */
  wait?: boolean;
  /** Seconds `wait` waits */
  timeout?: number;
  credentials?: Credentials;
}

export interface ISyncRequest {
  path: PathField;
  all?: boolean;
  pr?: boolean;
  token?: Token;
  github_url?: string;
}

export interface IEntryResult {
  operation: "check" | "run";
  branch: string;
  exit_code: number;
  /** What the entry point printed */
  lines: string[];
  /** The Kubeflow run's page */
  run_url: string | null;
  failures: string[];
  ok: boolean;
}

export interface IEvent {
  index: number;
  step: string;
  state: "start" | "done" | "skip" | "warn" | "fail" | "info";
  message: string;
  link?: string | null;
  time: number;
}

export interface IJob {
  id: string;
  kind: "init" | "push" | "check" | "run" | "sync";
  path?: string;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  created: number;
  started?: number | null;
  finished?: number | null;
  /** Events from index `since` (default 0). */
  events: IEvent[];
  /** Pass as `since` on the next poll */
  next_event: number;
  /** The operation's result when state is succeeded: init → InitPlan, push → PushResult, sync → SyncResult, check and run → EntryResult. */
  result: Record<string, unknown> | null;
  error: null | IError;
}
