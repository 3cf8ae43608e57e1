import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { LoadResult } from './load';

export interface LightLoadSpec {
  readonly url: string;
  /** The path of the next GET. */
  readonly next: () => string;
  /** Requests per second, on average. */
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
}

/**
 * GETs at a fixed average rate with independent (Poisson) arrivals, whether or not earlier ones
 * have been answered, over a pool of a few connections; each latency runs from the moment the
 * request was due to the last byte of its answer, so a stall of the server counts against every
 * request it delays.
 *
 * Not autocannon's `overallRate`: that sends each connection's whole share of a second back to
 * back at the start of the second (so "light" load is saturation for a moment, then nothing), and
 * records every latency "with an expected interval" of `ceil(1 / rate)` = 1 ms, which adds a
 * made-up sample per millisecond of each answer.
 */
export async function runLightLoad(spec: LightLoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1 });
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (due: number) => {
    const request = pool
      .request({ method: 'GET', path: spec.next(), headersTimeout: 5_000, bodyTimeout: 5_000 })
      .then(async ({ statusCode, body }) => {
        // Read to the end without keeping it: a 218 KiB answer should not cost this process a copy.
        for await (const chunk of body) void chunk;
        latencies.push(performance.now() - due);
        statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      })
      .catch(() => {
        failures += 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const started = performance.now();
  const end = started + spec.seconds * 1000;
  let due = started;
  while (due < end) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    send(due);
    // Exponential gaps: arrivals of many independent clients.
    due += (-Math.log(1 - Math.random()) / spec.rate) * 1000;
  }
  await Promise.all(inFlight);
  const elapsedSeconds = (performance.now() - started) / 1000;
  await pool.close();

  latencies.sort((a, b) => a - b);
  const at = (quantile: number) =>
    latencies[Math.max(0, Math.ceil(quantile * latencies.length) - 1)] ?? Number.NaN;
  const non2xx = Object.entries(statusCounts)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    requestsPerSecond: latencies.length / elapsedSeconds,
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    requests: latencies.length,
    non2xx,
    unintended: non2xx + failures,
    statusCounts,
  };
}
