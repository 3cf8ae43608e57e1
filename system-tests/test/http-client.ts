import { expectConforms } from './openapi-conformance';

/**
 * A small client for the gateway's API, for tests: every answer with its status, headers and
 * body, each checked against the gateway's OpenAPI document (a mismatch throws).
 */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** `defaults`: headers every request carries unless it says otherwise (an access token). */
export function apiClient(baseUrl: string, defaults: Readonly<Record<string, string>> = {}) {
  async function send(
    method: string,
    path: string,
    options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...defaults, ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    expectConforms({ method, path, status: response.status, headers: response.headers, text });
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  return {
    send,
    create: (user: object, headers?: Record<string, string>) =>
      send('POST', '/api/user/', { json: user, ...(headers ? { headers } : {}) }),
    get: (id: string) => send('GET', `/api/user/${id}`),
    update: (patch: object, headers?: Record<string, string>) =>
      send('PUT', '/api/user/', { json: patch, ...(headers ? { headers } : {}) }),
    remove: (id: string) => send('DELETE', `/api/user/${id}`),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;
