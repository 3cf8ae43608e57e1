import { type Logger, type User, USER_UNREADABLE_TYPE } from '@user-service/common';
import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import type { GatewayMetrics } from './gateway-metrics';
import type { OwnWrite } from './written-versions';

export type ForwardedRead =
  | { readonly kind: 'found'; readonly user: User; readonly version: number }
  | { readonly kind: 'notFound' }
  /** The aggregator could not give an answer to trust; the caller reads the store instead. */
  | {
      readonly kind: 'unanswered';
      readonly reason: 'behind' | 'parked' | 'failed' | 'circuit-open';
    };

export interface AggregatorClientOptions {
  readonly urls: readonly string[];
  /** How long to wait for an aggregator's answer before reading the store instead. */
  readonly timeoutMs: number;
  /** How long a circuit stays open before one trial request is let through. */
  readonly resetMs?: number;
  readonly internalToken?: string;
}

interface ReadRequest {
  readonly userId: string;
  /** This gateway's last write to the user, which the answer must not be older than. */
  readonly ownWrite: OwnWrite;
  readonly requestId: string;
}

class AggregatorFailure extends Error {
  override name = 'AggregatorFailure';
}

/**
 * Reads users from the aggregators over pooled keep-alive connections. A circuit breaker per
 * aggregator makes a dead one cost one quick failure now and then, not a timeout per request.
 */
export class AggregatorClient {
  private readonly pools: Pool[];
  private readonly breakers: CircuitBreaker<[ReadRequest], ForwardedRead>[];

  constructor(
    private readonly options: AggregatorClientOptions,
    private readonly metrics: GatewayMetrics,
    log: Logger,
  ) {
    this.pools = options.urls.map(
      (url) => new Pool(url, { connections: 64, keepAliveTimeout: 30_000 }),
    );
    this.breakers = this.pools.map((pool, index) => {
      const breaker = new CircuitBreaker((request: ReadRequest) => this.send(pool, request), {
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
  }

  async read(aggregator: number, request: ReadRequest): Promise<ForwardedRead> {
    const breaker = this.breakers[aggregator];
    if (!breaker) throw new Error(`no aggregator ${aggregator}`);
    const result = await breaker.fire(request).catch((error: unknown): ForwardedRead => {
      const reason = breaker.opened && isOpenCircuit(error) ? 'circuit-open' : 'failed';
      return { kind: 'unanswered', reason };
    });
    this.metrics.forwards.inc({
      aggregator: String(aggregator),
      outcome: result.kind === 'unanswered' ? result.reason : result.kind,
    });
    return result;
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
    const { statusCode, body } = await pool.request({
      method: 'GET',
      path: `/internal/users/${encodeURIComponent(userId)}?${query}`,
      headers: this.options.internalToken
        ? { 'x-request-id': requestId, authorization: `Bearer ${this.options.internalToken}` }
        : { 'x-request-id': requestId },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    if (statusCode === 200) return parseFound(await body.json());
    if (statusCode === 503) {
      // A user the aggregator cannot apply says nothing about its health either.
      const problem: unknown = await body.json().catch(() => null);
      if (problemType(problem) === USER_UNREADABLE_TYPE)
        return { kind: 'unanswered', reason: 'parked' };
      throw new AggregatorFailure('aggregator answered 503');
    }
    await body.dump();
    if (statusCode === 404) return { kind: 'notFound' };
    // Lagging behind a version this gateway wrote is normal and says nothing about its health.
    if (statusCode === 409) return { kind: 'unanswered', reason: 'behind' };
    throw new AggregatorFailure(`aggregator answered ${statusCode}`);
  }
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
