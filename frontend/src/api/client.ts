import { clearToken, getToken } from '../auth/token';

/** An answer other than 2xx, with the service's own message (`{"msg", "status_code"}`). */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let unauthorizedHandler: () => void = () => {};

/** What to do once a request was refused for want of a valid token (the token is already gone). */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  json?: unknown;
  body?: FormData | URLSearchParams;
  /** Sign-in itself: no bearer token, and a 401 is the caller's to show. */
  anonymous?: boolean;
}

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { msg?: unknown };
    if (typeof body.msg === 'string') return body.msg;
  } catch {
    // not JSON: fall through to the text itself
  }
  return text.trim() || `${response.status} ${response.statusText}`;
}

export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers = new Headers({ Accept: 'application/json' });
  const token = options.anonymous ? null : getToken();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  let body: BodyInit | undefined = options.body;
  if (options.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(options.json);
  }
  const response = await fetch(url(path, options.query), {
    method: options.method ?? 'GET',
    headers,
    body,
  });
  if (response.ok) return response;
  if (response.status === 401 && !options.anonymous) {
    clearToken();
    unauthorizedHandler();
  }
  throw new ApiError(response.status, await errorMessage(response));
}

export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  return (await response.json()) as T;
}

export async function requestText(path: string, options: RequestOptions = {}): Promise<string> {
  const response = await request(path, options);
  return response.text();
}
