import { vi } from 'vitest';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: BodyInit | null | undefined;
}

type Answer = unknown | ((call: Call) => unknown);

/** A JSON answer with a status other than 200 (errors are `{"msg", "status_code"}`). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/**
 * Replaces fetch with answers keyed by "METHOD /path" (a string answers as text, anything else
 * as JSON; a promise answers once it settles, so one that never does keeps a request pending);
 * records every call. An unknown route answers 404.
 */
export function fakeApi(routes: Record<string, Answer>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const call: Call = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: new Headers(init.headers),
      body: init.body,
    };
    calls.push(call);
    const route = routes[`${call.method} ${call.path}`];
    if (route === undefined)
      return json(404, { msg: `no fake for ${call.method} ${call.path}`, status_code: 404 });
    const answer = await (typeof route === 'function' ? (route as (call: Call) => unknown)(call) : route);
    if (answer instanceof Reply) return json(answer.status, answer.body);
    if (typeof answer === 'string')
      return new Response(answer, { headers: { 'Content-Type': 'text/plain' } });
    return json(200, answer);
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}
