import autocannon from 'autocannon';
import { intendedStatuses, type PlannedRequest } from './scenarios';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly requests: number;
  readonly non2xx: number;
  /** Non-2xx answers the scenario did not mean to provoke, plus errors and timeouts. */
  readonly unintended: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export interface LoadSpec {
  readonly url: string;
  /** A scenario's name; see intendedStatuses. */
  readonly scenario: string;
  readonly next: () => PlannedRequest;
  readonly seconds: number;
  readonly connections: number;
  /** Requests per second over all connections; absent: as fast as the server answers. */
  readonly rate?: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 5,
    ...(spec.rate ? { overallRate: spec.rate } : {}),
    requests: [
      {
        setupRequest: (request) => {
          const planned = spec.next();
          return {
            ...request,
            method: planned.method,
            path: planned.path,
            headers: {
              ...(planned.body ? { 'content-type': 'application/json' } : {}),
              ...planned.headers,
            },
            ...(planned.body ? { body: planned.body } : { body: undefined }),
          };
        },
      },
    ],
  });
  const statusCounts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {}))
    statusCounts[status] = stats.count ?? 0;
  const intended = intendedStatuses(spec.scenario);
  const unintendedStatuses = Object.entries(statusCounts)
    .filter(([status]) => !status.startsWith('2') && !intended.includes(Number(status)))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    requestsPerSecond: result.requests.average,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    requests: result.requests.total,
    non2xx: result.non2xx,
    unintended: unintendedStatuses + result.errors + result.timeouts,
    statusCounts,
  };
}
