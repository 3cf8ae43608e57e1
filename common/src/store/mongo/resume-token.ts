import { type ResumeToken, Timestamp } from 'mongodb';

/** KeyString's type byte for a timestamp: the first thing in every resume token since 4.0.7. */
const KEYSTRING_TIMESTAMP = 0x82;

/**
 * The cluster time a resume token stands for. A change stream's token after an empty batch is
 * the server's post-batch resume token, which says how far the server has scanned the oplog even
 * though nothing matched; its time is the only way to know whether the stream has reached a
 * point. The token is opaque by contract, but its `_data` is a hex KeyString whose first value
 * is that time (the "v1" format of every server this project supports); anything else gives null.
 */
export function timeOfResumeToken(token: ResumeToken): Timestamp | null {
  const data =
    typeof token === 'object' && token !== null && '_data' in token ? token._data : undefined;
  if (typeof data !== 'string' || !/^([0-9a-fA-F]{2}){9,}/.test(data)) return null;
  const bytes = Buffer.from(data.slice(0, 18), 'hex');
  if (bytes[0] !== KEYSTRING_TIMESTAMP) return null;
  return new Timestamp({ t: bytes.readUInt32BE(1), i: bytes.readUInt32BE(5) });
}

/** Where a store says what it cannot work out by itself. */
export interface StoreLog {
  error(message: string, fields: Record<string, unknown>): void;
}

/**
 * Reads the time of the tails' resume tokens, and says once, at error level, when a token that
 * is there does not decode: the tails' positions then stay unknown, so the subscription never
 * reports caught up (it fails closed: the aggregator stays not ready). Without this line an
 * operator would see an aggregator stuck restoring and nothing saying why (review m13).
 */
export class ResumeTokenReader {
  private reported = false;

  constructor(private readonly log: StoreLog) {}

  timeOf(token: ResumeToken): Timestamp | null {
    const time = timeOfResumeToken(token);
    if (time === null && token !== null && token !== undefined && !this.reported) {
      this.reported = true;
      this.log.error(
        'cannot read the time of a change stream resume token: this server writes a format this version does not know, so the subscription cannot confirm it has caught up and the aggregator stays not ready',
        { resumeToken: shapeOf(token) },
      );
    }
    return time;
  }
}

/**
 * What kind of token it is, without its content: a token holds the changed document's key,
 * which is not for logs.
 */
function shapeOf(token: ResumeToken): Record<string, unknown> {
  const data =
    typeof token === 'object' && token !== null && '_data' in token ? token._data : undefined;
  if (typeof data === 'string')
    return { dataType: 'hex string', length: data.length, firstByte: data.slice(0, 2) };
  if (data === undefined) return { dataType: 'none', fields: Object.keys(token ?? {}).length };
  return {
    dataType: typeof data === 'object' && data !== null ? data.constructor.name : typeof data,
  };
}
