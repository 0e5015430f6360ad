// The service's JSON, as the dashboard reads it.

export const RUN_STATES = [
  'QUEUED',
  'INITIALIZING',
  'RUNNING',
  'PAUSED',
  'COMPLETE',
  'EXECUTOR_ERROR',
  'SYSTEM_ERROR',
  'CANCELED',
  'CANCELING',
  'PREEMPTED',
  'UNKNOWN',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export type Role = 'admin' | 'maintainer' | 'launcher' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'maintainer', 'launcher', 'viewer'];

export type Engine = 'snakemake' | 'nextflow' | 'mock';

export interface OidcConfig {
  issuer: string;
  client_id: string;
  scope: string;
  /** Which token to present: the access token, or the ID token (whose aud is the client id). */
  token: 'access' | 'id';
  resource: string | null;
  name: string;
}

export interface AuthConfig {
  mode: 'builtin' | 'oidc' | 'none';
  oidc: OidcConfig | null;
}

export interface AccessToken {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export interface Me {
  name: string;
  role: Role;
  via: string;
}

export type JsonObject = Record<string, unknown>;

export interface Workflow {
  name: string;
  description: string;
  engines: Engine[];
  tools: string[];
  params_schema: JsonObject | null;
}

export interface Run {
  id: string;
  name: string | null;
  workflow: string;
  engine: Engine;
  params: JsonObject;
  tags: Record<string, string>;
  owner: string | null;
  state: RunState;
  reason: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  outputs: JsonObject;
  head_job_id: string | null;
  uploaded: boolean;
  resumed_from: string | null;
  reuses_work_of: string | null;
}

export interface RunPage {
  runs: Run[];
  next_page_token: string;
}

export interface RunRequest {
  workflow: string;
  engine: Engine;
  name?: string;
  params: JsonObject;
  tags: Record<string, string>;
}

export interface Task {
  id: string;
  run_id: string;
  name: string;
  state: RunState;
  attempt: number;
  wildcards: Record<string, string>;
  batch_job_id: string | null;
  exit_code: number | null;
  reason: string | null;
  log_stream: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface TaskPage {
  tasks: Task[];
  next_page_token: string;
}

export interface LogPage {
  lines: string[];
  next_offset: number;
  complete: boolean;
}

/** A Snakemake run's results: files under one prefix. Other engines report other shapes. */
export interface FileOutputs {
  prefix: string;
  files: string[];
}

export interface DownloadLink {
  url: string;
  expires_at: string;
}

export interface PersonalToken {
  id: string;
  owner: string;
  name: string;
  expires_at: string;
  created_at?: string;
}

export interface NewPersonalToken {
  id: string;
  name: string;
  token: string;
  expires_at: string;
}

export interface User {
  name: string;
  role: Role;
  disabled: boolean;
}

export interface UserChange {
  role?: Role;
  disabled?: boolean;
  password?: string;
}
