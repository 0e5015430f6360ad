import { request, requestJson, requestText } from './client';
import type {
  AccessToken,
  AuthConfig,
  DownloadLink,
  JsonObject,
  LogPage,
  Me,
  NewPersonalToken,
  PersonalToken,
  Role,
  Run,
  RunPage,
  RunRequest,
  RunState,
  Task,
  TaskPage,
  User,
  UserChange,
  Workflow,
} from './models';

const TASK_PAGE_SIZE = 500;
const RUN_PAGE_SIZE = 25;
export const LOG_PAGE_SIZE = 1000;

const path = (...parts: string[]) => '/' + parts.map(encodeURIComponent).join('/');

export const getAuthConfig = () => requestJson<AuthConfig>('/auth/config', { anonymous: true });

export const signIn = (username: string, password: string) =>
  requestJson<AccessToken>('/auth/token', {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
    anonymous: true,
  });

export const getMe = () => requestJson<Me>('/users/me');

export const listWorkflows = async () =>
  (await requestJson<{ workflows: Workflow[] }>('/workflows')).workflows;

export interface RunFilters {
  state?: RunState;
  tag?: string;
  owner?: string;
}

export const listRuns = (filters: RunFilters, pageToken: string) =>
  requestJson<RunPage>('/runs', {
    query: { ...filters, page_size: RUN_PAGE_SIZE, page_token: pageToken },
  });

export const getRun = (id: string) => requestJson<Run>(path('runs', id));

export const submitRun = (run: RunRequest) => requestJson<Run>('/runs', { method: 'POST', json: run });

export interface Upload {
  workflow: string;
  engine: string;
  name: string;
  params: JsonObject;
  files: { file: File; path: string }[];
}

export function uploadRun(upload: Upload): Promise<Run> {
  const form = new FormData();
  form.set('workflow', upload.workflow);
  form.set('engine', upload.engine);
  if (upload.name) form.set('name', upload.name);
  form.set('params', JSON.stringify(upload.params));
  form.set('tags', '{}');
  for (const { file, path } of upload.files) form.append('files', file, path);
  return requestJson<Run>('/runs', { method: 'POST', body: form });
}

/** Every task of a run, following the pages. */
export async function listAllTasks(runId: string): Promise<Task[]> {
  const tasks: Task[] = [];
  let pageToken = '';
  do {
    const page = await requestJson<TaskPage>(path('runs', runId, 'tasks'), {
      query: { page_size: TASK_PAGE_SIZE, page_token: pageToken },
    });
    tasks.push(...page.tasks);
    pageToken = page.next_page_token;
  } while (pageToken);
  return tasks;
}

export const readRunLog = (runId: string, offset: number) =>
  requestJson<LogPage>(path('runs', runId, 'logs'), {
    query: { offset, limit: LOG_PAGE_SIZE },
  });

export const readTaskLog = (runId: string, taskId: string) =>
  requestText(path('runs', runId, 'tasks', taskId, 'logs'), { query: { format: 'text' } });

export const getOutputs = async (runId: string) =>
  (await requestJson<{ outputs: unknown }>(path('runs', runId, 'outputs'))).outputs;

export const createDownloadLink = (runId: string, filePath: string) =>
  requestJson<DownloadLink>(path('runs', runId, 'download-links'), {
    method: 'POST',
    json: { path: filePath },
  });

export const cancelRun = (runId: string) =>
  requestJson<Run>(path('runs', runId, 'cancel'), { method: 'POST' });

export const resumeRun = (runId: string) =>
  requestJson<Run>(path('runs', runId, 'resume'), { method: 'POST', json: {} });

export const listTokens = () => requestJson<PersonalToken[]>('/users/me/tokens');

export const createToken = (name: string, expiresInDays: number) =>
  requestJson<NewPersonalToken>('/users/me/tokens', {
    method: 'POST',
    json: { name, expires_in_days: expiresInDays },
  });

export const revokeToken = async (id: string) => {
  await request(path('users', 'me', 'tokens', id), { method: 'DELETE' });
};

export const listUsers = () => requestJson<User[]>('/users');

export const createUser = (name: string, password: string, role: Role) =>
  requestJson<User>('/users', { method: 'POST', json: { name, password, role } });

export const updateUser = (name: string, change: UserChange) =>
  requestJson<User>(path('users', name), { method: 'PATCH', json: change });
