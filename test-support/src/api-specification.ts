import { type Store, wrapStore } from '@user-service/common/store';
import { type UserEvent, type UserEventBody } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import { appendSealed, testPersonalData } from './personal-data';
import { problemTypeMatching } from './problem-types';

/** A server under test, started on a store; `url` has no trailing slash. */
export interface RunningApi {
  readonly url: string;
  close(): Promise<void>;
}

export type StartApi = (store: Store) => Promise<RunningApi>;

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** Sent as an application/json body. */
  readonly json?: unknown;
  /** Sent as it is, with whatever content-type `headers` give. */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ExpectedResponse {
  readonly status: number;
  /** The answer is application/problem+json of this `type`'s path, absolute or not (and of `status`). */
  readonly problem?: string;
  /** A value, a pattern, or null for a header that must be absent. */
  readonly headers?: Readonly<Record<string, string | RegExp | null>>;
  /** The parsed JSON body (the text when it is not JSON, undefined when empty). */
  readonly body?: unknown;
}

/** An event the request must have appended: its body, and its user and version where they matter. */
export type ExpectedEvent = UserEventBody & {
  readonly userId?: string;
  readonly version?: number;
  readonly requestId?: string | null;
};

export interface ApiOutcome {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  /** What the request appended to the store, in order. */
  readonly appended: readonly UserEvent[];
}

export interface ApiSpecification {
  given(...events: UserEvent[]): ApiGiven;
}

export interface ApiGiven {
  when(request: ApiRequest): ApiThen;
}

export interface ApiThen {
  /** The response matches, and exactly these events were appended (none if none are listed). */
  then(response: ExpectedResponse, ...appended: ExpectedEvent[]): Promise<ApiOutcome>;
}

/**
 * Given / when / then over HTTP: given these events stored in a fresh InMemoryStore, when this
 * request reaches the server `start` runs on that store, then this response and these new events.
 *
 *   const spec = apiSpecification(startGateway);
 *   await spec.given(...eventsFor('ada', 0, created(ada)))
 *     .when({ method: 'DELETE', path: '/api/user/ada', headers: { 'if-match': '"7"' } })
 *     .then({ status: 412, problem: '/problems/version-mismatch' });
 */
export function apiSpecification(start: StartApi): ApiSpecification {
  return {
    given: (...events) => ({
      when: (request) => ({
        then: async (response, ...appended) => {
          const outcome = await run(start, events, request);
          expectResponse(outcome, response);
          expect(outcome.appended).toEqual(appended.map((event) => expect.objectContaining(event)));
          return outcome;
        },
      }),
    }),
  };
}

async function run(
  start: StartApi,
  given: readonly UserEvent[],
  request: ApiRequest,
): Promise<ApiOutcome> {
  const store = new InMemoryStore();
  for (const event of given) await appendSealed(store, event.userId, event.version - 1, [event]);
  const appended: UserEvent[] = [];
  const recording = wrapStore(store, {
    events: {
      append: async (userId, expectedVersion, events, emailClaim) => {
        const result = await store.events.append(userId, expectedVersion, events, emailClaim);
        // Compared as the gateway meant them: opened again.
        if (result.outcome === 'appended')
          appended.push(...(await testPersonalData(store).openEvents(userId, events)));
        return result;
      },
    },
  });
  const api = await start(recording);
  try {
    const headers: Record<string, string> = { ...request.headers };
    if (request.json !== undefined) headers['content-type'] ??= 'application/json';
    const body = request.json === undefined ? request.body : JSON.stringify(request.json);
    const response = await fetch(`${api.url}${request.path}`, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: parsed(await response.text()),
      appended,
    };
  } finally {
    await api.close();
  }
}

function expectResponse(outcome: ApiOutcome, expected: ExpectedResponse): void {
  const { status, problem, headers = {} } = expected;
  const actual = { status: outcome.status, ...headerValues(outcome.headers, Object.keys(headers)) };
  const wanted = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      value instanceof RegExp ? expect.stringMatching(value) : value,
    ]),
  );
  expect(actual).toEqual({ status, ...wanted });
  if (problem !== undefined) {
    expect(outcome.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(outcome.body).toEqual(
      expect.objectContaining({ type: problemTypeMatching(problem), status }),
    );
  }
  if ('body' in expected) expect(outcome.body).toEqual(expected.body);
}

function headerValues(headers: Headers, names: readonly string[]): Record<string, string | null> {
  return Object.fromEntries(names.map((name) => [name, headers.get(name)]));
}

function parsed(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
