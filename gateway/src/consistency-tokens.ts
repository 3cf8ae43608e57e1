import { problems } from '@user-service/common/http';
import type { RequestHandler, Response } from 'express';
import { strictBase64url } from '@user-service/common/personal-data';
import type { CommitPosition, StoreLayout } from '@user-service/common/store';

/** The header a write answers a token in, and a request sends one back in. */
export const CONSISTENCY_TOKEN_HEADER = 'X-Consistency-Token';

/** Version 1 of the format: `ct1.` and base64url of `{"s": storeId, "p": [[partition, position], …]}`. */
const PREFIX = 'ct1.';
/** A token names each partition at most once, so it stays within this even at 4096 partitions. */
const MAX_TOKEN_LENGTH = 8192;

/** Per partition, the commit position of the client's latest write there that the token carries. */
export type TokenPositions = ReadonlyMap<number, CommitPosition>;

/**
 * Consistency tokens (session consistency, as Azure Cosmos DB's session tokens): a write answers
 * one naming, per partition written, the commit position of the client's latest write there; a
 * request that sends it back is answered from owners that applied at least that much, through
 * any gateway. A write that sends one back gets the two merged, so a client that always sends its
 * latest token carries all its writes. The token is opaque to clients but not secret, nor signed:
 * a forged one can only make its sender's own requests wait a little and fall back to the store.
 */
export class ConsistencyTokens {
  constructor(
    /** The store's layout: the store id tokens carry, and its partition count. */
    private readonly layout: () => StoreLayout,
    private readonly compare: (a: CommitPosition, b: CommitPosition) => number,
  ) {}

  /**
   * The positions a request's token carries; none without a token. Throws 400
   * `invalid-consistency-token` for a token this service cannot have made, and
   * `foreign-consistency-token` for one made by another deployment (another store).
   */
  read(header: string | undefined): TokenPositions {
    if (header === undefined) return new Map();
    const decoded = this.decode(header);
    if (decoded.storeId !== this.layout().storeId) throw problems.foreignConsistencyToken();
    return decoded.positions;
  }

  /** The token to answer: `earlier`'s positions with this write's, the later one per partition. */
  write(earlier: TokenPositions, partition: number, position: CommitPosition): string {
    const positions = new Map(earlier);
    const known = positions.get(partition);
    if (known === undefined || this.compare(position, known) > 0)
      positions.set(partition, position);
    const body = { s: this.layout().storeId, p: [...positions].sort(([a], [b]) => a - b) };
    return PREFIX + Buffer.from(JSON.stringify(body)).toString('base64url');
  }

  private decode(header: string): { storeId: string; positions: TokenPositions } {
    const bytes =
      header.length <= MAX_TOKEN_LENGTH && header.startsWith(PREFIX)
        ? strictBase64url(header.slice(PREFIX.length))
        : undefined;
    const body = bytes && parseJson(bytes.toString('utf8'));
    if (!isTokenBody(body)) throw problems.invalidConsistencyToken();
    const positions = new Map<number, CommitPosition>();
    for (const [partition, position] of body.p) {
      if (!this.isPartition(partition) || positions.has(partition) || !this.isPosition(position))
        throw problems.invalidConsistencyToken();
      positions.set(partition, position);
    }
    return { storeId: body.s, positions };
  }

  private isPartition(value: number): boolean {
    return Number.isSafeInteger(value) && value >= 0 && value < this.layout().partitions;
  }

  private isPosition(value: string): boolean {
    try {
      this.compare(value, value);
      return true;
    } catch {
      return false;
    }
  }
}

interface TokenBody {
  readonly s: string;
  readonly p: ReadonlyArray<readonly [number, string]>;
}

function isTokenBody(value: unknown): value is TokenBody {
  if (typeof value !== 'object' || value === null) return false;
  const { s, p } = value as Record<string, unknown>;
  return (
    typeof s === 'string' &&
    Array.isArray(p) &&
    p.every(
      (pair: unknown) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        typeof pair[0] === 'number' &&
        typeof pair[1] === 'string',
    )
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads the request's token before any route runs, so that a bad one is refused (400) before a
 * write is attempted or its Idempotency-Key taken; routes find it with `tokenOf`. Only a request
 * that carries one pays for more than the header lookup.
 */
export function readConsistencyToken(tokens: ConsistencyTokens): RequestHandler {
  return (req, res, next) => {
    const header = req.get(CONSISTENCY_TOKEN_HEADER);
    if (header !== undefined) res.locals.consistencyToken = tokens.read(header);
    next();
  };
}

/** The positions of the request's token (empty without one). */
export function tokenOf(res: Response): TokenPositions {
  const positions: unknown = res.locals.consistencyToken;
  return positions instanceof Map ? (positions as TokenPositions) : NO_POSITIONS;
}

/** What a request without a token carries: one read-only map for all of them. */
const NO_POSITIONS: TokenPositions = new Map();

/** What a write request gets of its token: the header it answers, merging the one it was sent. */
export function answerToken(
  tokens: ConsistencyTokens,
  res: Response,
): (partition: number, position: CommitPosition) => void {
  return (partition, position) =>
    res.set(CONSISTENCY_TOKEN_HEADER, tokens.write(tokenOf(res), partition, position));
}
