import { performance } from 'node:perf_hooks';
import { errors, Pool } from 'undici';
import type { LoadResult } from './load';
import { intendedStatuses, type PlannedRequest } from './scenarios';

export interface LightLoadSpec {
  readonly url: string;
  /** The path of the next GET. */
  readonly next: () => string;
  /** Requests per second, on average. */
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
}

export interface OpenLoopSpec {
  readonly url: string;
  readonly next: () => PlannedRequest;
  /** Requests per second, on average. */
  readonly rate: number;
  /** Sends until this many seconds have passed, or this many requests were sent. */
  readonly until: { readonly seconds: number } | { readonly requests: number };
  readonly connections: number;
}

/** One request sent, and how it went. */
export interface Sample {
  readonly request: PlannedRequest;
  /** When it was due, in ms since the run started. */
  readonly dueMs: number;
  /** From when it was due to the last byte of its answer (or to the failure). */
  readonly latencyMs: number;
  /** Its status; `failed` for a connection error or timeout, with the error's code. */
  readonly status: number | 'failed';
  readonly error?: string;
}

export interface OpenLoopRun {
  readonly samples: readonly Sample[];
  readonly elapsedSeconds: number;
  /** Requests this process's HTTP client refused to send (an invalid method, path or header). */
  readonly notSent: number;
}

/**
 * Requests at a fixed average rate with independent (Poisson) arrivals, whether or not earlier
 * ones have been answered, over a pool of a few connections; each latency runs from the moment the
 * request was due to the last byte of its answer, so a stall of the server counts against every
 * request it delays.
 *
 * Not autocannon's `overallRate`: that sends each connection's whole share of a second back to
 * back at the start of the second (so "light" load is saturation for a moment, then nothing), and
 * records every latency "with an expected interval" of `ceil(1 / rate)` = 1 ms, which adds a
 * made-up sample per millisecond of each answer.
 */
export async function runOpenLoop(spec: OpenLoopSpec): Promise<OpenLoopRun> {
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1 });
  const samples: Sample[] = [];
  let notSent = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const send = (due: number) => {
    const planned = spec.next();
    const record = (status: number | 'failed', error?: string) =>
      samples.push({
        request: planned,
        dueMs: due - started,
        latencyMs: performance.now() - due,
        status,
        ...(error === undefined ? {} : { error }),
      });
    const request = pool
      .request({
        method: planned.method,
        path: planned.path,
        headers: {
          ...contentTypeOf(planned),
          ...planned.headers,
        },
        ...(planned.body !== undefined ? { body: planned.body } : {}),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      })
      .then(async ({ statusCode, body }) => {
        // Read to the end without keeping it: a 218 KiB answer should not cost this process a copy.
        for await (const chunk of body) void chunk;
        record(statusCode);
      })
      .catch((error: unknown) => {
        if (error instanceof errors.InvalidArgumentError) notSent += 1;
        else record('failed', errorCode(error));
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const end =
    'seconds' in spec.until ? started + spec.until.seconds * 1000 : Number.POSITIVE_INFINITY;
  const requests = 'requests' in spec.until ? spec.until.requests : Number.POSITIVE_INFINITY;
  let due = started;
  for (let sent = 0; due < end && sent < requests; sent++) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    send(due);
    // Exponential gaps: arrivals of many independent clients.
    due += (-Math.log(1 - Math.random()) / spec.rate) * 1000;
  }
  await Promise.all(inFlight);
  const elapsedSeconds = (performance.now() - started) / 1000;
  await pool.close();
  return { samples, elapsedSeconds, notSent };
}

/** A run's throughput, latency percentiles and statuses; `scenario` names its intended non-2xx. */
export function summarize(run: OpenLoopRun, scenario: string): LoadResult {
  const latencies = run.samples.map((sample) => sample.latencyMs).sort((a, b) => a - b);
  const at = (quantile: number) =>
    latencies[Math.max(0, Math.ceil(quantile * latencies.length) - 1)] ?? Number.NaN;
  const statusCounts: Record<string, number> = {};
  for (const { status } of run.samples)
    statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
  const intended = intendedStatuses(scenario);
  const answered = run.samples.filter((sample) => sample.status !== 'failed');
  const non2xx = answered.filter((sample) => !String(sample.status).startsWith('2'));
  const unintended = run.samples.filter(
    (sample) =>
      sample.status === 'failed' ||
      (!String(sample.status).startsWith('2') && !intended.includes(sample.status)),
  );
  return {
    requestsPerSecond: answered.length / run.elapsedSeconds,
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    requests: answered.length,
    non2xx: non2xx.length,
    unintended: unintended.length,
    statusCounts,
  };
}

/** GETs of `next()` paths at light load (see runOpenLoop); any non-2xx counts as unintended. */
export async function runLightLoad(spec: LightLoadSpec): Promise<LoadResult> {
  const run = await runOpenLoop({
    url: spec.url,
    next: () => ({ method: 'GET', path: spec.next() }),
    rate: spec.rate,
    until: { seconds: spec.seconds },
    connections: spec.connections,
  });
  return summarize(run, 'light-load');
}

function contentTypeOf({ body, contentType }: PlannedRequest): Record<string, string> {
  if (body === undefined || contentType === null) return {};
  return { 'content-type': contentType ?? 'application/json' };
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code);
  return error instanceof Error ? error.name : 'error';
}
