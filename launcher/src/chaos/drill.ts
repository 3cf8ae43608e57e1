import type { User } from '@user-service/common/domain';
import { Pool } from 'undici';

/** What a drill needs from the system under test. */
export interface ChaosTarget {
  readonly url: string;
  /** Kills aggregator `index` with no chance to save anything. */
  crash(index: number): Promise<void>;
  /** Starts it again; resolves with the milliseconds it took to report ready. */
  restart(index: number): Promise<number>;
  /** As SIGSTOP: it renews no lease and answers nothing until resumed. */
  pause(index: number): Promise<void>;
  resume(index: number): Promise<void>;
  /** Starts one more aggregator, which takes its share of the partitions. */
  add(): Promise<void>;
}

/** What a fault does, in this order when several are given. */
export interface Fault {
  readonly atMs: number;
  readonly crash?: readonly number[];
  readonly restart?: readonly number[];
  readonly pause?: readonly number[];
  readonly resume?: readonly number[];
  readonly add?: boolean;
  /**
   * Measure how long after it lists are `exact` for good (till the next fault): for a kill
   * for good, the time its partitions take to be taken over.
   */
  readonly measureExactLists?: boolean;
}

export interface DrillPlan {
  /** Requests per second, spread evenly. */
  readonly rate: number;
  readonly users: number;
  readonly durationMs: number;
  readonly faults: readonly Fault[];
}

export interface DrillReport {
  readonly requests: number;
  readonly failed: number;
  /** Why requests failed, with a count each. */
  readonly failures: Readonly<Record<string, number>>;
  /**
   * Requests the drill did not send, by reason, with a count each: limits of the load driver on
   * this machine (every user already had a request in flight), not faults of the system.
   */
  readonly notSent: Readonly<Record<string, number>>;
  readonly maxLatencyMs: number;
  readonly p99LatencyMs: number;
  readonly acknowledgedWrites: number;
  readonly missingWrites: number;
  readonly recoveries: readonly { readonly aggregator: number; readonly readyMs: number }[];
  /**
   * For each fault that asked for it, the milliseconds from the fault until counts said `exact`
   * for good (0: they never stopped), or null when they never did before the next fault.
   */
  readonly exactListsAfterMs: readonly (number | null)[];
}

interface Known {
  version: number;
  user: User | null;
}

/**
 * Sends a fixed-rate mix (80% reads, 10% partial updates, 5% creates, 5% deletes) while the
 * plan crashes and restarts aggregators. Each user has one request in flight at most, so the
 * answer to every request is known in advance: anything else counts as a failure. At the end,
 * every acknowledged write must still be there.
 */
export async function runDrill(target: ChaosTarget, plan: DrillPlan): Promise<DrillReport> {
  const pool = new Pool(target.url, { connections: 64 });
  const known = new Map<string, Known>();
  const busy = new Set<string>();
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const notSent: Record<string, number> = {};
  const recoveries: { aggregator: number; readyMs: number }[] = [];
  let acknowledgedWrites = 0;
  const count = (tally: Record<string, number>, reason: string) =>
    (tally[reason] = (tally[reason] ?? 0) + 1);
  const fail = (reason: string) => count(failures, reason);
  const ids = Array.from({ length: plan.users }, (_, n) => `chaos-${n}`);

  const send = async (method: string, path: string, body?: unknown) => {
    const started = performance.now();
    const {
      statusCode,
      headers,
      body: stream,
    } = await pool.request({
      method: method as 'GET',
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const text = await stream.text();
    latencies.push(performance.now() - started);
    const etag =
      typeof headers.etag === 'string' ? Number(headers.etag.replaceAll('"', '')) : undefined;
    return { status: statusCode, json: text ? (JSON.parse(text) as unknown) : undefined, etag };
  };

  /** One request for one user, checked against what is known of that user. */
  const exercise = async (id: string, roll: number) => {
    const state = known.get(id) ?? { version: 0, user: null };
    try {
      if (roll < 0.8) {
        const answer = await send('GET', `/api/user/${id}`);
        const right = state.user
          ? answer.status === 200 &&
            answer.etag === state.version &&
            JSON.stringify(answer.json) === JSON.stringify(state.user)
          : answer.status === 404;
        if (!right) fail(answer.status >= 500 ? `read ${answer.status}` : 'read answered wrongly');
      } else if (roll < 0.9 || (roll < 0.95 && state.user)) {
        const group = Math.floor(Math.random() * 1_000_000);
        const answer = await send('PUT', '/api/user', { id, group });
        if (state.user && answer.status === 200 && answer.etag !== undefined) {
          known.set(id, { version: answer.etag, user: { ...state.user, group } });
          acknowledgedWrites++;
        } else if (!(state.user === null && answer.status === 404)) fail(`update ${answer.status}`);
      } else if (roll < 0.95) {
        const user = { id, name: `Chaos ${id}`, email: `${id}@example.com`, group: 1 };
        const answer = await send('POST', '/api/user', user);
        if (answer.status === 201 && answer.etag !== undefined) {
          known.set(id, { version: answer.etag, user });
          acknowledgedWrites++;
        } else fail(`create ${answer.status}`);
      } else {
        const answer = await send('DELETE', `/api/user/${id}`);
        if (state.user && answer.status === 204) {
          known.set(id, { version: state.version + 1, user: null });
          acknowledgedWrites++;
        } else if (!(state.user === null && answer.status === 404)) fail(`delete ${answer.status}`);
      }
    } catch (error) {
      fail(`error ${(error as { code?: string }).code ?? String(error)}`);
    }
  };

  const started = Date.now();
  // Half the users exist before the drill starts; the rest are created by it.
  for (const id of ids.slice(0, plan.users / 2)) await exercise(id, 0.94);

  // Beside the load: a count every 100 ms, to see when lists are exact.
  const counts: { atMs: number; exact: boolean }[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const atMs = Date.now() - started;
      const answer = await pool
        .request({ method: 'GET', path: '/api/user/count', headersTimeout: 5_000 })
        .then(async ({ headers, body }) => {
          await body.dump();
          return headers['x-consistency'] === 'exact';
        })
        .catch(() => false);
      counts.push({ atMs, exact: answer });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const inFlight = new Set<Promise<void>>();
  const faults = [...plan.faults].sort((a, b) => a.atMs - b.atMs);
  const faultWork: Promise<void>[] = [];
  let sent = 0;
  while (Date.now() - started < plan.durationMs) {
    const elapsed = Date.now() - started;
    for (let fault = faults[0]; fault && fault.atMs <= elapsed; fault = faults[0]) {
      faults.shift();
      faultWork.push(
        (async () => {
          for (const index of fault.crash ?? []) await target.crash(index);
          await Promise.all(
            (fault.restart ?? []).map(async (index) =>
              recoveries.push({ aggregator: index, readyMs: await target.restart(index) }),
            ),
          );
          for (const index of fault.pause ?? []) await target.pause(index);
          for (const index of fault.resume ?? []) await target.resume(index);
          if (fault.add) await target.add();
        })(),
      );
    }
    const due = Math.floor((elapsed / 1000) * plan.rate);
    for (; sent < due; sent++) {
      const idle = ids.filter((id) => !busy.has(id));
      const id = idle[Math.floor(Math.random() * idle.length)];
      if (id === undefined) {
        // Answers slower than users / rate (a busy machine) leave no user to ask: the driver's
        // limit, which says nothing of whether the system answers rightly.
        count(notSent, 'no idle user (rate too high for the user count)');
        continue;
      }
      busy.add(id);
      const request = exercise(id, Math.random()).finally(() => {
        busy.delete(id);
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all([...inFlight, ...faultWork]);
  probing = false;
  await probe;

  let missingWrites = 0;
  for (const [id, state] of known) {
    const answer = await send('GET', `/api/user/${id}`);
    const present = state.user
      ? answer.status === 200 &&
        answer.etag === state.version &&
        JSON.stringify(answer.json) === JSON.stringify(state.user)
      : answer.status === 404;
    if (!present) missingWrites++;
  }
  await pool.close();

  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failed: Object.values(failures).reduce((sum, count) => sum + count, 0),
    failures,
    notSent,
    maxLatencyMs: sorted.at(-1) ?? 0,
    p99LatencyMs: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
    acknowledgedWrites,
    missingWrites,
    recoveries,
    exactListsAfterMs: measured(plan, counts),
  };
}

/** For each fault that asked, how long after it the counts were exact for good. */
function measured(
  plan: DrillPlan,
  counts: readonly { atMs: number; exact: boolean }[],
): (number | null)[] {
  const faults = [...plan.faults].sort((a, b) => a.atMs - b.atMs);
  return faults.flatMap((fault, index) => {
    if (!fault.measureExactLists) return [];
    const until = faults[index + 1]?.atMs ?? plan.durationMs;
    const within = counts.filter(({ atMs }) => atMs >= fault.atMs && atMs < until);
    const lastInexact = within.findLastIndex(({ exact }) => !exact);
    if (lastInexact < 0) return [0];
    const exactAgain = within[lastInexact + 1];
    return [exactAgain ? exactAgain.atMs - fault.atMs : null];
  });
}
