import { hostileRequests } from './hostile-requests';
import { runOpenLoop, type Sample } from './light-load';
import type { BenchOptions } from './options';
import { cpuMillisOf, startSystem } from './processes';
import type { PlannedRequest } from './scenarios';

/** The budget every request of the tail is held to. */
export const TAIL_BUDGET_MS = 250;
/** One request in this many is a hostile one. */
const HOSTILE_EVERY = 5;
/** Requests per slice of the run whose largest latency the report shows, to see warm-up. */
const SLICE = 1_000;

export interface SlowRequest {
  readonly kind: string;
  readonly method: string;
  /** Cut at 100 characters. */
  readonly path: string;
  readonly status: number | 'failed';
  readonly latencyMs: number;
  /** When it was due, in seconds since the first request. */
  readonly dueSeconds: number;
}

export interface TailReport {
  readonly requests: number;
  readonly notSent: number;
  readonly rate: number;
  readonly connections: number;
  readonly elapsedSeconds: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly overBudget: number;
  /** Answers of 5xx, and requests that got no answer (connection errors, timeouts). */
  readonly serverErrors: number;
  readonly failed: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly slowest: readonly SlowRequest[];
  /** The largest latency of each SLICE requests, in the order they were due. */
  readonly maxBySlice: readonly number[];
  /**
   * CPU time the system's process used per request, in ms, while each SLICE requests were sent
   * (from /proc; empty where there is none): what the first ones cost against the later ones,
   * however busy the machine is.
   */
  readonly cpuMsPerRequestBySlice: readonly number[];
}

/**
 * The tail on a fresh system: a `STORE=memory` system started for this part alone, as `npm start`
 * starts it (its warm-up included, see launcher/src/warm-up.ts), and the moment it is ready `options.tailRequests` requests at `options.tailRate` per second (Poisson
 * arrivals, latency from when each was due): a mixed workload on users it creates itself, one
 * request in HOSTILE_EVERY hostile. What the system pays the first time (lazy compiles, first
 * connections, first collections of a growing heap) shows as the slowest requests.
 */
export async function tailCheck(
  options: BenchOptions,
  profiling?: {
    readonly nodeFlags: readonly string[];
    /** Told the monotonic clock (µs, as a CPU profile's timestamps) when the first request is sent. */
    readonly onStart: (monotonicMicros: number) => void;
  },
): Promise<TailReport> {
  const system = await startSystem({
    store: 'memory',
    aggregators: 3,
    gatewayPort: options.ports.gateway,
    aggregatorBasePort: options.ports.aggregators,
    nodeFlags: [...options.systemFlags, ...(profiling?.nodeFlags ?? [])],
  });
  try {
    const mixed = freshMix('tail');
    const hostile = hostileRequests(Math.ceil(options.tailRequests / HOSTILE_EVERY), 'tail-1');
    let sent = 0;
    const cpuAtSlices: number[] = [];
    const next = (): PlannedRequest => {
      if (sent === 0) profiling?.onStart(Number(process.hrtime.bigint() / 1000n));
      if (sent % SLICE === 0 && system.pid !== undefined) {
        const cpu = cpuMillisOf(system.pid);
        if (cpu !== undefined) cpuAtSlices.push(cpu);
      }
      sent += 1;
      return (sent % HOSTILE_EVERY === 0 ? hostile.pop() : undefined) ?? mixed();
    };
    const run = await runOpenLoop({
      url: system.url,
      next,
      rate: options.tailRate,
      until: { requests: options.tailRequests },
      connections: options.tailConnections,
    });
    if (system.pid !== undefined) {
      const cpu = cpuMillisOf(system.pid);
      if (cpu !== undefined) cpuAtSlices.push(cpu);
    }
    const cpuMsPerRequestBySlice = cpuAtSlices
      .slice(1)
      .map((cpu, index) => (cpu - (cpuAtSlices[index] ?? cpu)) / SLICE);
    return {
      ...tailReport(run.samples, run.notSent, run.elapsedSeconds, options),
      cpuMsPerRequestBySlice,
    };
  } finally {
    await system.stop();
  }
}

function tailReport(
  samples: readonly Sample[],
  notSent: number,
  elapsedSeconds: number,
  options: BenchOptions,
): Omit<TailReport, 'cpuMsPerRequestBySlice'> {
  const sorted = samples.map((sample) => sample.latencyMs).sort((a, b) => a - b);
  const at = (quantile: number) =>
    sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)] ?? Number.NaN;
  const statusCounts: Record<string, number> = {};
  for (const { status } of samples)
    statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
  const inOrder = [...samples].sort((a, b) => a.dueMs - b.dueMs);
  const maxBySlice: number[] = [];
  for (let start = 0; start < inOrder.length; start += SLICE)
    maxBySlice.push(Math.max(...inOrder.slice(start, start + SLICE).map((s) => s.latencyMs)));
  return {
    requests: samples.length,
    notSent,
    rate: options.tailRate,
    connections: options.tailConnections,
    elapsedSeconds,
    latencyMs: { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) },
    overBudget: samples.filter((sample) => sample.latencyMs > TAIL_BUDGET_MS).length,
    serverErrors: samples.filter(isServerError).length,
    failed: samples.filter((sample) => sample.status === 'failed').length,
    statusCounts,
    slowest: [...samples]
      .sort((a, b) => b.latencyMs - a.latencyMs)
      .slice(0, 12)
      .map((sample) => ({
        kind: sample.request.kind ?? '-',
        method: sample.request.method,
        path:
          sample.request.path.length > 100
            ? `${sample.request.path.slice(0, 97)}...`
            : sample.request.path,
        status: sample.status,
        latencyMs: sample.latencyMs,
        dueSeconds: sample.dueMs / 1000,
      })),
    maxBySlice,
  };
}

/**
 * A 5xx, or no answer at all. 501 to a method HTTP does not define (PROPFIND) is the answer the
 * hostile-input suite requires, not a fault.
 */
function isServerError({ status, request }: Sample): boolean {
  if (status === 'failed') return true;
  return status >= 500 && !(status === 501 && request.method === 'PROPFIND');
}

/**
 * The API's everyday requests on a system that starts empty: creates, reads, updates (some
 * changing the email, some as merge patches, some with an `Idempotency-Key`), deletes, and the
 * read side's lists, counts, histories and statistics, of users this mix created itself.
 */
export function freshMix(tag: string): () => PlannedRequest {
  const live: string[] = [];
  let created = 0;
  const pick = () => live[Math.floor(Math.random() * live.length)] ?? `${tag}-1`;
  const create = (keyed: boolean): PlannedRequest => {
    created += 1;
    const id = `${tag}-${created}`;
    live.push(id);
    return {
      kind: keyed ? 'create, keyed' : 'create',
      method: 'POST',
      path: '/api/user',
      body: JSON.stringify({ id, name: `Tail ${created}`, email: `${id}@example.com`, group: 1 }),
      ...(keyed ? { headers: { 'idempotency-key': `${id}-key` } } : {}),
    };
  };
  return () => {
    const roll = Math.random();
    if (created < 2 || roll < 0.2) return create(roll < 0.02);
    const id = pick();
    if (roll < 0.6) return { kind: 'read', method: 'GET', path: `/api/user/${id}` };
    if (roll < 0.72)
      return {
        kind: 'update',
        method: 'PUT',
        path: '/api/user',
        body: JSON.stringify({ id, group: Math.floor(Math.random() * 1000) }),
      };
    if (roll < 0.75)
      return {
        kind: 'update, email',
        method: 'PUT',
        path: '/api/user',
        body: JSON.stringify({ id, email: `${id}.${Math.random().toString(36).slice(2)}@x.org` }),
      };
    if (roll < 0.78)
      return {
        kind: 'merge patch',
        method: 'PATCH',
        path: `/api/user/${id}`,
        body: JSON.stringify({ name: `Patched ${id}` }),
        contentType: 'application/merge-patch+json',
      };
    if (roll < 0.8)
      return {
        kind: 'update, keyed',
        method: 'PUT',
        path: `/api/user/${id}`,
        body: JSON.stringify({ group: 7 }),
        headers: { 'idempotency-key': `${id}-${Math.floor(Math.random() * 3)}` },
      };
    if (roll < 0.84) {
      live.splice(live.indexOf(id), 1);
      return { kind: 'delete', method: 'DELETE', path: `/api/user/${id}` };
    }
    if (roll < 0.89) return { kind: 'list', method: 'GET', path: '/api/user?limit=100' };
    if (roll < 0.92) return { kind: 'count', method: 'GET', path: '/api/user/count' };
    if (roll < 0.97) return { kind: 'history', method: 'GET', path: `/api/user/${id}/events` };
    return { kind: 'event statistics', method: 'GET', path: '/api/stats/events' };
  };
}
