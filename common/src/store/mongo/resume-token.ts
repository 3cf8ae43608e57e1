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
