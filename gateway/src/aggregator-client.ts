import { type CommitPosition, type LeaseHolder } from '@user-service/common/store';
import { labelValue, type Logger } from '@user-service/common/observability';
import { type User } from '@user-service/common/domain';
import { NOT_READY_TYPE, USER_UNREADABLE_TYPE } from '@user-service/common/http';
import type { ListedUsers } from '@user-service/common/personal-data';
import CircuitBreaker from 'opossum';
import { type Dispatcher, Pool } from 'undici';
import type { GatewayMetrics } from './gateway-metrics';
import { TurnBatches } from './turn-batches';
import type { OwnWrite } from './written-versions';

export type ForwardedRead =
  | { readonly kind: 'found'; readonly user: User; readonly version: number }
  | { readonly kind: 'notFound' }
  /** The aggregator could not give an answer to trust; the caller reads the store instead. */
  | Unanswered;

/**
 * Why a read, list or count was not answered by an aggregator: behind the version or position it
 * had to reach, a user parked there, still restoring or catching up (`not-ready`: a partition
 * just taken over, say), failed, its circuit open, it no longer owns the partition
 * (`not-owner`), or the partition has no owner at all (`unowned`).
 */
export interface Unanswered {
  readonly kind: 'unanswered';
  readonly reason:
    'behind' | 'parked' | 'not-ready' | 'failed' | 'circuit-open' | 'not-owner' | 'unowned';
}

/** A list's or count's answer, or why the aggregator could not give one to trust. */
export type ForwardedQuery<T> = { readonly kind: 'answered'; readonly value: T } | Unanswered;

/** What a list or count sent to one aggregator asks. */
export interface QueryRequest {
  readonly group?: number;
  readonly after?: string;
  readonly limit?: number;
  /** The partitions asked for: the ones the aggregator owns, as this gateway last read the leases. */
  readonly partitions: readonly number[];
  /**
   * Per partition, the commit position the answer must include: this gateway's latest write
   * there, or a client's consistency token's, whichever is later.
   */
  readonly positions: ReadonlyMap<number, CommitPosition>;
  readonly requestId: string;
}

export interface AggregatorClientOptions {
  /** How long to wait for an aggregator's answer before reading the store instead. */
  readonly timeoutMs: number;
  /** How long a circuit stays open before one trial request is let through. */
  readonly resetMs?: number;
  /** The aggregators' secret (INTERNAL_TOKEN), presented as a bearer token on every call. */
  readonly internalToken: string;
}

interface ReadRequest {
  readonly userId: string;
  /** This gateway's last write to the user, which the answer must not be older than. */
  readonly ownWrite: OwnWrite;
  /** A client's consistency token's position for the user's partition; such a read goes alone. */
  readonly position?: CommitPosition;
  readonly requestId: string;
}

/** The connection to one aggregator: its pool, its circuit, and the reads of this turn. */
interface Connection {
  readonly holder: LeaseHolder;
  readonly pool: Pool;
  /** Runs the call it is given, so that reads, lists and counts share one circuit. */
  readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  readonly readBatches: TurnBatches<ReadRequest, ForwardedRead>;
}

/** As many ids as the aggregator takes in one batch read (its MAX_BATCH_READS). */
const MAX_BATCH_READS = 64;

class AggregatorFailure extends Error {
  override name = 'AggregatorFailure';
}

/**
 * Reads users from the aggregators over pooled keep-alive connections. A circuit breaker per
 * aggregator makes a dead one cost one quick failure now and then, not a timeout per request.
 */
export class AggregatorClient {
  /** By URL: an aggregator restarted elsewhere under its old name is another connection. */
  private readonly connections = new Map<string, Connection>();
  private readonly authorization: string;

  constructor(
    private readonly options: AggregatorClientOptions,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {
    this.authorization = `Bearer ${options.internalToken}`;
  }

  /**
   * Opens a connection to each owner (a `/healthz`, its answer ignored), so that the first reads
   * do not wait for it, nor for undici's HTTP parser, WebAssembly compiled on the process's first
   * connection. Outside the circuits: an aggregator still starting is no failure. Bounded by the
   * forward timeout, connecting included, so a start never waits long for it.
   */
  async warmUp(owners: readonly LeaseHolder[]): Promise<void> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    await Promise.allSettled(
      owners.map(async (holder) => {
        const { body } = await this.connection(holder).pool.request({
          method: 'GET',
          path: '/healthz',
          signal,
        });
        await body.dump();
      }),
    );
  }

  /** Closes the connections to aggregators that own nothing any more. */
  retain(owners: readonly LeaseHolder[]): void {
    const kept = new Set(owners.map((holder) => holder.url));
    for (const [url, connection] of this.connections) {
      if (kept.has(url)) continue;
      this.connections.delete(url);
      this.closeConnection(connection);
    }
  }

  private connection(holder: LeaseHolder): Connection {
    const known = this.connections.get(holder.url);
    if (known) return known;
    const pool = new Pool(holder.url, { connections: 64, keepAliveTimeout: 30_000 });
    const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      timeout: false, // undici's own timeouts below also free the connection
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeout: this.options.resetMs ?? 1000,
    });
    const label = { aggregator: labelValue(holder.name) };
    breaker.on('open', () => {
      this.metrics.circuitOpen.set(label, 1);
      this.log.warn('circuit to aggregator opened', label);
    });
    breaker.on('close', () => {
      this.metrics.circuitOpen.set(label, 0);
      this.log.info('circuit to aggregator closed', label);
    });
    this.metrics.circuitOpen.set(label, 0);
    const connection: Connection = {
      holder,
      pool,
      breaker,
      readBatches: new TurnBatches(
        (reads) => this.readTogether(connection, reads),
        MAX_BATCH_READS,
      ),
    };
    this.connections.set(holder.url, connection);
    return connection;
  }

  private closeConnection({ holder, breaker, pool }: Connection): void {
    breaker.shutdown();
    this.metrics.circuitOpen.remove({ aggregator: labelValue(holder.name) });
    void pool.close().catch(() => undefined);
  }

  /**
   * A user from its aggregator. The reads of one turn of the event loop go together in one
   * exchange (see internal-batch-read.ts); a read alone in its turn goes as it is.
   */
  async read(owner: LeaseHolder, request: ReadRequest): Promise<ForwardedRead> {
    const connection = this.connection(owner);
    // A read that must reach a client's position waits for it there, which a batch does not.
    if (request.position !== undefined) return this.readAlone(connection, request);
    return connection.readBatches.add(request);
  }

  private readAlone(connection: Connection, read: ReadRequest): Promise<ForwardedRead> {
    this.metrics.readsPerExchange.observe(1);
    return this.forward(connection, (pool) => this.send(pool, read));
  }

  private async readTogether(
    connection: Connection,
    reads: readonly ReadRequest[],
  ): Promise<ForwardedRead[]> {
    const readAlone = (read: ReadRequest) => this.readAlone(connection, read);
    const [only] = reads;
    if (only && reads.length === 1) return [await readAlone(only)];
    this.metrics.readsPerExchange.observe(reads.length);
    const batch = await this.throughCircuit(connection, (pool) => this.sendBatch(pool, reads));
    const answers = Array.isArray(batch) ? batch : reads.map(() => batch);
    return Promise.all(
      answers.map((answer, index) => {
        const read = reads[index];
        // In a batch nothing waits for its version: one behind is asked again alone, and may.
        if (read && answer.kind === 'unanswered' && answer.reason === 'behind')
          return readAlone(read);
        this.count(connection, answer);
        return answer;
      }),
    );
  }

  /** A page of the aggregator's live users in id order (`GET /internal/users`). */
  async list(owner: LeaseHolder, request: QueryRequest): Promise<ForwardedQuery<ListedUsers>> {
    return this.forward(this.connection(owner), (pool) =>
      this.query(pool, '/internal/users', request, (body) => ({
        users: parseField(body, 'users', (users) => Array.isArray(users) && users.every(isUser)),
        // An aggregator of an earlier release names none.
        unopenable: hasField(body, 'unopenable') ? parseField(body, 'unopenable', isListOfIds) : [],
      })),
    );
  }

  /** The aggregator's live users per group (`GET /internal/user-counts`). */
  async countByGroup(
    owner: LeaseHolder,
    request: QueryRequest,
  ): Promise<ForwardedQuery<Record<string, number>>> {
    return this.forward(this.connection(owner), (pool) =>
      this.query(pool, '/internal/user-counts', request, (body) =>
        parseField(body, 'byGroup', isCountsByGroup),
      ),
    );
  }

  private async forward<T extends { readonly kind: string }>(
    connection: Connection,
    call: (pool: Pool) => Promise<T>,
  ): Promise<T | Unanswered> {
    const result = await this.throughCircuit(connection, call);
    this.count(connection, result);
    return result;
  }

  private async throughCircuit<T>(
    { breaker, pool }: Connection,
    call: (pool: Pool) => Promise<T>,
  ): Promise<T | Unanswered> {
    return (breaker.fire(() => call(pool)) as Promise<T>).catch((error: unknown): Unanswered => {
      const reason = breaker.opened && isOpenCircuit(error) ? 'circuit-open' : 'failed';
      return { kind: 'unanswered', reason };
    });
  }

  private count({ holder }: Connection, result: { readonly kind: string }): void {
    const outcome = labelValue('reason' in result ? String(result.reason) : result.kind);
    this.metrics.forwards.inc({ aggregator: labelValue(holder.name), outcome });
  }

  async close(): Promise<void> {
    const closing = [...this.connections.values()];
    this.connections.clear();
    for (const { breaker } of closing) breaker.shutdown();
    await Promise.all(closing.map(({ pool }) => pool.destroy()));
  }

  private async send(
    pool: Pool,
    { userId, ownWrite, position, requestId }: ReadRequest,
  ): Promise<ForwardedRead> {
    const query =
      `minVersion=${ownWrite.version}${ownWrite.deleted ? '&deleted=true' : ''}` +
      (position === undefined ? '' : `&position=${encodeURIComponent(position)}`);
    const { statusCode, body } = await this.get(
      pool,
      `/internal/users/${encodeURIComponent(userId)}?${query}`,
      requestId,
    );
    // Only a user (200) and a problem (503) are read; any other answer says all in its status.
    const answer =
      statusCode === 200 || statusCode === 503
        ? await body.json().catch(() => null)
        : await body.dump();
    return readAnswerOf(statusCode, answer);
  }

  /** Several reads in one `GET /internal/user-reads`, their answers in the same order. */
  private async sendBatch(pool: Pool, reads: readonly ReadRequest[]): Promise<ForwardedRead[]> {
    const asked = reads
      .map(
        ({ userId, ownWrite }) =>
          `${userId}:${ownWrite.version}${ownWrite.deleted ? ':deleted' : ''}`,
      )
      .join(',');
    // One exchange carries one request id: the first read's, which the aggregator's log names.
    const { statusCode, body } = await this.get(
      pool,
      `/internal/user-reads?reads=${asked}`,
      reads[0]?.requestId ?? '',
    );
    // Refused as a whole (before it is ready, say): every read of it goes to the store.
    if (statusCode !== 200) {
      await body.dump();
      throw new AggregatorFailure(`aggregator answered ${statusCode} to a batch`);
    }
    const answers = parseField<unknown[]>(
      await body.json(),
      'answers',
      (value) => Array.isArray(value) && value.length === reads.length,
    );
    return answers.map(answerInBatch);
  }

  private async query<T>(
    pool: Pool,
    path: string,
    request: QueryRequest,
    parse: (body: unknown) => T,
  ): Promise<ForwardedQuery<T>> {
    const params = new URLSearchParams();
    if (request.group !== undefined) params.set('group', String(request.group));
    if (request.after !== undefined) params.set('after', request.after);
    if (request.limit !== undefined) params.set('limit', String(request.limit));
    params.set('partitions', request.partitions.join(','));
    if (request.positions.size > 0)
      params.set(
        'positions',
        [...request.positions].map(([partition, position]) => `${partition}:${position}`).join(','),
      );
    const { statusCode, body } = await this.get(
      pool,
      params.size > 0 ? `${path}?${params}` : path,
      request.requestId,
    );
    if (statusCode === 200) return { kind: 'answered', value: parse(await body.json()) };
    return unanswered(statusCode, body);
  }

  private async get(pool: Pool, path: string, requestId: string) {
    // undici checks its own timeouts on a coarse timer (about every 500 ms, lib/util/timers.js
    // `setFastTimeout`): a stalled aggregator (SIGSTOP, a paused VM) would hold a read for up to
    // a second. This timer is the precise bound until the answer's head arrives, cleared then
    // (AbortSignal.timeout's cannot be, and each fires later and makes a DOMException: 3% of a
    // read's CPU in the profile).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.options.timeoutMs);
    try {
      return await pool.request({
        method: 'GET',
        path,
        headers: { 'x-request-id': requestId, authorization: this.authorization },
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: abort.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A page's or count's answer other than 200. Lagging behind a write of this gateway (409), no
 * longer owning a partition asked for (421), or holding a user it cannot apply (503
 * user-unreadable), is normal and says nothing about the aggregator's health; anything else
 * counts against its circuit (as for reads, readAnswerOf).
 */
async function unanswered(
  statusCode: number,
  body: Dispatcher.ResponseData['body'],
): Promise<Unanswered> {
  if (statusCode === 503) {
    const problem: unknown = await body.json().catch(() => null);
    const refusal = refusalOf(problemType(problem));
    if (refusal) return refusal;
    throw new AggregatorFailure('aggregator answered 503');
  }
  await body.dump();
  if (statusCode === 409) return { kind: 'unanswered', reason: 'behind' };
  if (statusCode === 421) return { kind: 'unanswered', reason: 'not-owner' };
  throw new AggregatorFailure(`aggregator answered ${statusCode}`);
}

/** One read's answer in a batch: as the aggregator would have answered the read alone. */
function answerInBatch(answer: unknown): ForwardedRead {
  const { status, body } = (typeof answer === 'object' && answer !== null ? answer : {}) as {
    status?: unknown;
    body?: unknown;
  };
  return readAnswerOf(status, body);
}

/**
 * A read's answer by its status and body, alone or in a batch: the user (200), none (404), or
 * none yet: behind a write of this gateway (409), the partition owned elsewhere now (421), or a
 * user it cannot apply (503 user-unreadable). Anything else is the aggregator's failure.
 */
function readAnswerOf(status: unknown, body: unknown): ForwardedRead {
  if (status === 200) return parseFound(body);
  if (status === 404) return { kind: 'notFound' };
  if (status === 409) return { kind: 'unanswered', reason: 'behind' };
  if (status === 421) return { kind: 'unanswered', reason: 'not-owner' };
  const refusal = status === 503 ? refusalOf(problemType(body)) : undefined;
  if (refusal) return refusal;
  throw new AggregatorFailure(`aggregator answered ${String(status)}`);
}

/**
 * A 503 that says nothing of the aggregator's health: a user it cannot apply (parked), or a
 * partition it is restoring or catching up (not ready: taken over a moment ago, say).
 */
function refusalOf(type: unknown): Unanswered | undefined {
  if (type === USER_UNREADABLE_TYPE) return { kind: 'unanswered', reason: 'parked' };
  if (type === NOT_READY_TYPE) return { kind: 'unanswered', reason: 'not-ready' };
  return undefined;
}

function hasField(body: unknown, field: string): boolean {
  return typeof body === 'object' && body !== null && field in body;
}

function parseField<T>(body: unknown, field: string, valid: (value: unknown) => boolean): T {
  if (hasField(body, field)) {
    const value = (body as Record<string, unknown>)[field];
    if (valid(value)) return value as T;
  }
  throw new AggregatorFailure(`aggregator answered 200 without ${field}`);
}

function isListOfIds(value: unknown): boolean {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}

function isCountsByGroup(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((count) => Number.isSafeInteger(count) && count > 0)
  );
}

function isOpenCircuit(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'code' in error && error.code === 'EOPENBREAKER'
  );
}

function problemType(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'type' in body ? body.type : undefined;
}

function parseFound(body: unknown): ForwardedRead {
  if (typeof body === 'object' && body !== null && 'user' in body && 'version' in body) {
    const { user, version } = body;
    if (isUser(user) && typeof version === 'number') return { kind: 'found', user, version };
  }
  throw new AggregatorFailure('aggregator answered 200 without a user');
}

function isUser(value: unknown): value is User {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.id === 'string' &&
    typeof candidate.name === 'string' &&
    typeof candidate.email === 'string' &&
    typeof candidate.group === 'number'
  );
}
