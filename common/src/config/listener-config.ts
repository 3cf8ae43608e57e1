import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError, type VariableParser } from './config';

/**
 * Where a process listens unless HOST says otherwise: this machine only. A service that must be
 * reached from elsewhere (a container beside others, a load balancer) is told so, as Compose
 * tells its services `HOST=0.0.0.0`; nothing is open to the network by default.
 */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * The shortest INTERNAL_TOKEN taken: 32 characters, as long as the one mongo-init's secrets
 * service makes (32 of [A-Za-z0-9], about 190 bits). A short one could be guessed by whoever can
 * reach an aggregator and try.
 */
export const MIN_INTERNAL_TOKEN_LENGTH = 32;

/** HOST: an IP address to listen on (127.0.0.1, ::1, or 0.0.0.0 / :: for every interface). */
export function listenHost(): VariableParser<string> {
  return (raw, variable, quote) => {
    if (raw === undefined) return DEFAULT_HOST;
    const host = raw.trim();
    if (isIP(host) === 0) {
      throw new ConfigError(
        `${variable} must be an IP address to listen on (127.0.0.1 for this machine only, 0.0.0.0 or :: for every interface), got ${quote(raw)}`,
      );
    }
    return host;
  };
}

/** INTERNAL_TOKEN: unset, or a secret of at least MIN_INTERNAL_TOKEN_LENGTH characters. */
export function internalToken(): VariableParser<string | undefined> {
  return (raw, variable) => {
    if (raw === undefined) return undefined;
    if (raw.length < MIN_INTERNAL_TOKEN_LENGTH) {
      // The value is a secret: its length is said, never the value.
      throw new ConfigError(
        `${variable} must be at least ${MIN_INTERNAL_TOKEN_LENGTH} characters, got ${raw.length}: make one with \`openssl rand -base64 32\``,
      );
    }
    return raw;
  };
}

/** A new internal token, for processes that start their gateway and aggregators together. */
export function newInternalToken(): string {
  // 32 random bytes: 43 characters of base64url, past the minimum with room.
  return randomBytes(32).toString('base64url');
}
