import {
  ConfigError,
  type Environment,
  optionalText,
  readConfig,
} from '@user-service/common/config';
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { AccessTokenSettings } from './access-tokens';

/** Whether `host` is this machine only: 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  return host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * How the public API checks access tokens: AUTH_JWKS_FILE or AUTH_JWKS_URL (the issuer's signing
 * keys) with AUTH_ISSUER and AUTH_AUDIENCE. Without them the API asks for no token, which is
 * allowed only where no one else can reach it: on a loopback HOST, or when AUTH=none says so.
 * Undefined when tokens are not checked.
 */
export function readAccessTokenSettings(
  env: Environment,
  host: string,
): AccessTokenSettings | undefined {
  const auth = readConfig(env, {
    AUTH_JWKS_FILE: optionalText(),
    AUTH_JWKS_URL: optionalText(),
    AUTH_ISSUER: optionalText(),
    AUTH_AUDIENCE: optionalText(),
    /** `none`: serve without checking tokens, on purpose, on any HOST. */
    AUTH: optionalText(),
  });
  if (auth.AUTH !== undefined && auth.AUTH !== 'none')
    throw new ConfigError(
      `AUTH must be none (serve without access tokens) or unset, got "${auth.AUTH}"`,
    );
  const { AUTH_JWKS_FILE: file, AUTH_JWKS_URL: url, AUTH_ISSUER: issuer } = auth;
  const audience = auth.AUTH_AUDIENCE;
  if (file !== undefined && url !== undefined)
    throw new ConfigError('AUTH_JWKS_FILE and AUTH_JWKS_URL are both set: set one of them');
  if (file === undefined && url === undefined) {
    if (issuer !== undefined || audience !== undefined)
      throw new ConfigError(
        'AUTH_ISSUER and AUTH_AUDIENCE need AUTH_JWKS_FILE or AUTH_JWKS_URL: where the issuer publishes its signing keys',
      );
    if (auth.AUTH !== 'none' && !isLoopback(host))
      throw new ConfigError(
        `HOST=${host} opens the API to other machines, and no access token is checked: set AUTH_JWKS_FILE or AUTH_JWKS_URL with AUTH_ISSUER and AUTH_AUDIENCE, or AUTH=none to serve it unauthenticated on purpose`,
      );
    return undefined;
  }
  if (auth.AUTH === 'none')
    throw new ConfigError('AUTH=none and an AUTH_JWKS_* setting contradict each other: drop one');
  if (issuer === undefined || audience === undefined)
    throw new ConfigError(
      'AUTH_JWKS_FILE or AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE: the `iss` and an `aud` every token must carry',
    );
  return {
    keys: file === undefined ? { url: jwksUrl(url ?? '') } : { file: jwksFile(file) },
    issuer,
    audience,
  };
}

function jwksUrl(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:')
    throw new ConfigError(`AUTH_JWKS_URL must be an http(s) URL, got "${text}"`);
  return url;
}

function jwksFile(path: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`AUTH_JWKS_FILE (${path}) is not a readable JSON file: ${String(error)}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ConfigError(`AUTH_JWKS_FILE (${path}) holds no JWKS: expected {"keys": [...]}`);
  return parsed as JSONWebKeySet;
}
