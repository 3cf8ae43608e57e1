import { type CommitPosition } from '@user-service/common/store';
import { labelValue, type Logger } from '@user-service/common/observability';
import { type User } from '@user-service/common/domain';
import { USER_UNREADABLE_TYPE } from '@user-service/common/http';
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

export interface Unanswered {
  readonly kind: 'unanswered';
  readonly reason: 'behind' | 'parked' | 'failed' | 'circuit-open';
}

/** A list's or count's answer, or why the aggregator could not give one to trust. */
export type ForwardedQuery<T> = { readonly kind: 'answered'; readonly value: T } | Unanswered;

/** What a list or count sent to one aggregator asks. */
export interface QueryRequest {
  readonly group?: number;
  readonly after?: string;
  readonly limit?: number;
  /** The commit position of this gateway's latest write to the aggregator's partitions. */
  readonly position: CommitPosition | null;
  readonly requestId: string;
}

export interface AggregatorClientOptions {
  readonly urls: readonly string[];
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
  readonly requestId: string;
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
  private readonly pools: Pool[];
  /** Each runs the call it is given, so that reads, lists and counts share one circuit. */
  private readonly breakers: CircuitBreaker<[() => Promise<unknown>], unknown>[];
  /** Per aggregator, the reads of one turn, which leave together. */
  private readonly readBatches: TurnBatches<ReadRequest, ForwardedRead>[];
  private readonly authorization: string;

  constructor(
    private readonly options: AggregatorClientOptions,
    private readonly metrics: GatewayMetrics,
    log: Logger,
  ) {
    this.authorization = `Bearer ${options.internalToken}`;
    this.pools = options.urls.map(
      (url) => new Pool(url, { connections: 64, keepAliveTimeout: 30_000 }),
    );
    this.breakers = this.pools.map((pool, index) => {
      const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
        timeout: false, // undici's own timeouts below also free the connection
        errorThresholdPercentage: 50,
        volumeThreshold: 3,
        resetTimeout: options.resetMs ?? 1000,
      });
      const label = { aggregator: String(index) };
      breaker.on('open', () => {
        metrics.circuitOpen.set(label, 1);
        log.warn('circuit to aggregator opened', label);
      });
      breaker.on('close', () => {
        metrics.circuitOpen.set(label, 0);
        log.info('circuit to aggregator closed', label);
      });
      metrics.circuitOpen.set(label, 0);
      return breaker;
    });
    this.readBatches = this.pools.map(
      (_, aggregator) =>
        new TurnBatches((reads) => this.readTogether(aggregator, reads), MAX_BATCH_READS),
    );
  }

  /**
   * Opens a connection to each aggregator (a `/healthz`, its answer ignored), so that the first
   * reads do not wait for it, nor for undici's HTTP parser, WebAssembly compiled on the process's
   * first connection. Outside the circuits: an aggregator still starting is no failure. Bounded by
   * the forward timeout, connecting included, so a start never waits long for it.
   */
  async warmUp(): Promise<void> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    await Promise.allSettled(
      this.pools.map(async (pool) => {
        const { body } = await pool.request({ method: 'GET', path: '/healthz', signal });
        await body.dump();
      }),
    );
  }

  /**
   * A user from its aggregator. The reads of one turn of the event loop go together in one
   * exchange (see internal-batch-read.ts); a read alone in its turn goes as it is.
   */
  async read(aggregator: number, request: ReadRequest): Promise<ForwardedRead> {
    const batches = this.readBatches[aggregator];
    if (!batches) throw new Error(`no aggregator ${aggregator}`);
    return batches.add(request);
  }

  private async readTogether(
    aggregator: number,
    reads: readonly ReadRequest[],
  ): Promise<ForwardedRead[]> {
    const readAlone = (read: ReadRequest) => {
      this.metrics.readsPerExchange.observe(1);
      return this.forward(aggregator, (pool) => this.send(pool, read));
    };
    const [only] = reads;
    if (only && reads.length === 1) return [await readAlone(only)];
    this.metrics.readsPerExchange.observe(reads.length);
    const batch = await this.throughCircuit(aggregator, (pool) => this.sendBatch(pool, reads));
    const answers = Array.isArray(batch) ? batch : reads.map(() => batch);
    return Promise.all(
      answers.map((answer, index) => {
        const read = reads[index];
        // In a batch nothing waits for its version: one behind is asked again alone, and may.
        if (read && answer.kind === 'unanswered' && answer.reason === 'behind')
          return readAlone(read);
        this.count(aggregator, answer);
        return answer;
      }),
    );
  }

  /** A page of the aggregator's live users in id order (`GET /internal/users`). */
  async list(aggregator: number, request: QueryRequest): Promise<ForwardedQuery<ListedUsers>> {
    return this.forward(aggregator, (pool) =>
      this.query(pool, '/internal/users', request, (body) => ({
        users: parseField(body, 'users', (users) => Array.isArray(users) && users.every(isUser)),
        // An aggregator of an earlier release names none.
        unopenable: hasField(body, 'unopenable') ? parseField(body, 'unopenable', isListOfIds) : [],
      })),
    );
  }

  /** The aggregator's live users per group (`GET /internal/user-counts`). */
  async countByGroup(
    aggregator: number,
    request: QueryRequest,
  ): Promise<ForwardedQuery<Record<string, number>>> {
    return this.forward(aggregator, (pool) =>
      this.query(pool, '/internal/user-counts', request, (body) =>
        parseField(body, 'byGroup', isCountsByGroup),
      ),
    );
  }

  private async forward<T extends { readonly kind: string }>(
    aggregator: number,
    call: (pool: Pool) => Promise<T>,
  ): Promise<T | Unanswered> {
    const result = await this.throughCircuit(aggregator, call);
    this.count(aggregator, result);
    return result;
  }

  private async throughCircuit<T>(
    aggregator: number,
    call: (pool: Pool) => Promise<T>,
  ): Promise<T | Unanswered> {
    const breaker = this.breakers[aggregator];
    const pool = this.pools[aggregator];
    if (!breaker || !pool) throw new Error(`no aggregator ${aggregator}`);
    return (breaker.fire(() => call(pool)) as Promise<T>).catch((error: unknown): Unanswered => {
      const reason = breaker.opened && isOpenCircuit(error) ? 'circuit-open' : 'failed';
      return { kind: 'unanswered', reason };
    });
  }

  private count(aggregator: number, result: { readonly kind: string }): void {
    const outcome = labelValue('reason' in result ? String(result.reason) : result.kind);
    this.metrics.forwards.inc({ aggregator: String(aggregator), outcome });
  }

  async close(): Promise<void> {
    for (const breaker of this.breakers) breaker.shutdown();
    await Promise.all(this.pools.map((pool) => pool.destroy()));
  }

  private async send(
    pool: Pool,
    { userId, ownWrite, requestId }: ReadRequest,
  ): Promise<ForwardedRead> {
    const query = `minVersion=${ownWrite.version}${ownWrite.deleted ? '&deleted=true' : ''}`;
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
    if (request.position !== null) params.set('position', request.position);
    const { statusCode, body } = await this.get(
      pool,
      params.size > 0 ? `${path}?${params}` : path,
      request.requestId,
    );
    if (statusCode === 200) return { kind: 'answered', value: parse(await body.json()) };
    return unanswered(statusCode, body);
  }

  private get(pool: Pool, path: string, requestId: string) {
    return pool.request({
      method: 'GET',
      path,
      headers: { 'x-request-id': requestId, authorization: this.authorization },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
  }
}

/**
 * A page's or count's answer other than 200. Lagging behind a write of this gateway (409), or
 * holding a user it cannot apply (503 user-unreadable), is normal and says nothing about the
 * aggregator's health; anything else counts against its circuit (as for reads, readAnswerOf).
 */
async function unanswered(
  statusCode: number,
  body: Dispatcher.ResponseData['body'],
): Promise<Unanswered> {
  if (statusCode === 503) {
    const problem: unknown = await body.json().catch(() => null);
    if (problemType(problem) === USER_UNREADABLE_TYPE)
      return { kind: 'unanswered', reason: 'parked' };
    throw new AggregatorFailure('aggregator answered 503');
  }
  await body.dump();
  if (statusCode === 409) return { kind: 'unanswered', reason: 'behind' };
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
 * none yet: behind a write of this gateway (409), or a user it cannot apply (503
 * user-unreadable). Anything else is the aggregator's failure.
 */
function readAnswerOf(status: unknown, body: unknown): ForwardedRead {
  if (status === 200) return parseFound(body);
  if (status === 404) return { kind: 'notFound' };
  if (status === 409) return { kind: 'unanswered', reason: 'behind' };
  if (status === 503 && problemType(body) === USER_UNREADABLE_TYPE)
    return { kind: 'unanswered', reason: 'parked' };
  throw new AggregatorFailure(`aggregator answered ${String(status)}`);
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
